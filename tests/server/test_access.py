"""Who may connect: protected mode without a token, the token when there is one, at most --max-clients."""
import contextlib
import socket

import pytest
import trio

from seqserver.client import ConnectionClosed
from server_harness import ServerProcess, next_event, running_server


def outward_address() -> str | None:
    """This machine's address on its network (not loopback), if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # no packet is sent: this only picks the route
        except OSError:
            return None
        address = probe.getsockname()[0]
    return None if address.startswith("127.") else address


async def test_without_a_token_only_local_clients_are_served():
    address = outward_address()
    if address is None:
        pytest.skip("this machine has no network address besides loopback")
    async with running_server("--address", "0") as server:
        async with server.connect("local") as local:
            assert (await local.command("modules")).ok
        remote = ServerProcess(server.process, address, server.port)
        with pytest.raises(ConnectionClosed, match="protected mode.*--token-file"):
            async with remote.connect("remote"):
                pass


async def test_the_token_is_required_when_configured(tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text("s3cret-token\n")
    async with running_server("--token-file", str(token_file)) as server:
        for token in (None, "guess"):
            with pytest.raises(ConnectionClosed, match="wrong or missing token"):
                async with server.connect("intruder", token=token):
                    pass
        async with server.connect("operator", token="s3cret-token") as operator:
            assert (await operator.command("modules")).ok


async def test_a_hundred_clients_at_once_and_a_clear_refusal_beyond(server):
    async with contextlib.AsyncExitStack() as stack:
        clients = [await stack.enter_async_context(server.connect(f"client{n}")) for n in range(100)]
        with pytest.raises(ConnectionClosed, match="too many clients: this server serves at most 100"):
            async with server.connect("one too many"):
                pass
        replies = {}

        async def ask(n, conn):
            replies[n] = await conn.command("modules")

        async with trio.open_nursery() as nursery:
            for n, conn in enumerate(clients):
                nursery.start_soon(ask, n, conn)
        assert len(replies) == 100 and all(reply.ok for reply in replies.values())
        assert (await clients[0].command("load seq.samples.a")).ok
        for conn in clients:
            await next_event(conn.events(), lambda e: e.get("kind") == "tree" and e["action"] == "loaded")
