"""One message from a stranger costs the server little: the first message is small, its values are cut
short in errors and logs, and nesting is bounded (the security review's finding 3)."""
import msgpack
import trio

from server_harness import hello, rss, running_server

MiB = 1024 * 1024


async def first_answer(server, data: bytes) -> dict | None:
    """Send ``data`` on a fresh connection; the server's first message back (None: it just closed)."""
    async with await trio.open_tcp_stream(server.host, server.port) as stream:
        with trio.fail_after(30):
            try:
                await stream.send_all(data)
            except trio.BrokenResourceError:
                pass  # the server refused before reading it all
            unpacker = msgpack.Unpacker()
            try:
                while chunk := await stream.receive_some(65536):
                    unpacker.feed(chunk)
                    for message in unpacker:
                        return message
            except trio.BrokenResourceError:
                pass  # closed with our bytes unread: the system may reset the connection before the error arrives
    return None


async def test_a_huge_first_message_is_refused_before_it_is_decoded(tmp_path):
    log = tmp_path / "server.log"
    with open(log, "wb") as stderr:
        async with running_server(stderr=stderr) as server:
            async with server.connect("operator") as operator:
                before = rss(server.process.pid)
                empty_arrays = msgpack.packb({"type": "hello", "padding": [[]] * (16 * MiB - 64)})
                huge_type = msgpack.packb({"type": "x" * (15 * MiB)})
                deep = b"\x91" * 100_000 + b"\xc0"  # arrays in arrays, 100,000 deep
                for data in (empty_arrays, huge_type, deep):
                    refusal = await first_answer(server, data)
                    assert refusal is None or (refusal["type"] == "error" and refusal["fatal"]), refusal
                    assert refusal is None or len(refusal["error"]) < 300
                assert rss(server.process.pid) - before < 64 * MiB
                assert (await operator.command("modules")).ok, "the server and its clients carry on"
                await first_answer(server, hello("afterwards"))
    assert log.stat().st_size < 64 * 1024, "attacker's values are not written to the log in full"
