"""Bad traffic on one connection gets errors or a clean disconnect; other clients never notice."""
import msgpack
import trio

import protocol
from server_harness import SCRIPTS, hello, running_server


class RawClient:
    """A connection that sends whatever bytes it is given."""

    def __init__(self, stream):
        self.stream = stream
        self.decoder = protocol.Decoder()
        self.received = []

    @classmethod
    async def open(cls, server, greet=True):
        raw = cls(await trio.open_tcp_stream(server.host, server.port))
        if greet:
            await raw.send(hello("raw"))
            assert (await raw.receive()).type == "welcome"
        return raw

    async def send(self, data: bytes):
        await self.stream.send_all(data)

    async def receive(self):
        """The next message other than an event; None when the server closed the connection."""
        with trio.fail_after(30):
            while True:
                while self.received:
                    message = self.received.pop(0)
                    if message.type != "event":
                        return message
                data = await self.stream.receive_some(65536)
                if not data:
                    return None
                self.received.extend(self.decoder.feed(data))


async def test_bad_messages_are_answered_with_errors_while_another_client_works():
    async with running_server("--max-message-size", "4096") as server:
        async with server.connect("good") as good:
            assert (await good.command(f"load {SCRIPTS / 'exposure.py'}")).ok
            raw = await RawClient.open(server)
            bad_inputs = {
                "unknown message": msgpack.packb({"type": "bogus"}),
                "wrong types": msgpack.packb({"type": "cmd", "id": "seven", "line": 5}),
                "not msgpack": b"\x81\xc1\xc1\xc1garbage",
                "oversized": msgpack.packb({"type": "cmd", "id": 1, "line": "x" * 10_000}),
                "hello again": hello("raw"),
            }
            for name, data in bad_inputs.items():
                await raw.send(data)
                error = await raw.receive()
                assert error.type == "error" and not error.fatal, (name, error)
                # After each, both connections still work.
                await raw.send(msgpack.packb({"type": "cmd", "id": 1, "line": "modules"}))
                reply = await raw.receive()
                assert reply.type == "reply" and reply.ok and "exposure" in reply.output, (name, reply)
                assert (await good.command("modules")).ok
            # A client that keeps sending garbage is told and disconnected.
            for _ in range(10):
                await raw.send(msgpack.packb({"type": "bogus"}))
            errors = [await raw.receive() for _ in range(10)]
            assert errors[-1].fatal and "closing the connection" in errors[-1].error
            assert await raw.receive() is None
            assert "exposure" in (await good.command("modules")).output


async def test_connections_refused_at_the_handshake(server):
    async with server.connect("good") as good:
        no_hello = await RawClient.open(server, greet=False)
        await no_hello.send(msgpack.packb({"type": "cmd", "id": 1, "line": "modules"}))
        refusal = await no_hello.receive()
        assert refusal.fatal and "hello" in refusal.error
        assert await no_hello.receive() is None

        wrong_version = await RawClient.open(server, greet=False)
        await wrong_version.send(hello("future", version=99))
        refusal = await wrong_version.receive()
        assert refusal.fatal and "version 99" in refusal.error

        for first_bytes in (b"\x00\x01\x02 not a protocol", b"\xc1\xff neither msgpack's map nor HTTP"):
            stranger = await RawClient.open(server, greet=False)
            await stranger.send(first_bytes)
            assert await stranger.receive() is None

        assert (await good.command("modules")).ok
