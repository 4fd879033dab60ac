"""Clients that read slowly, or not at all, or come and go, never hold up the run or each other."""
import socket

import trio

import protocol
from server_harness import SCRIPTS, hello, is_run, is_state, next_event, running_server, states_in_nodes, states_in_snapshot

MANY_STEPS = SCRIPTS / "many_steps.py"
EXPOSURE = SCRIPTS / "exposure.py"


async def open_sleeper(server) -> trio.SocketStream:
    """A client that says hello and then reads nothing, with a tiny receive buffer."""
    sock = trio.socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    await sock.connect((server.host, server.port))
    stream = trio.SocketStream(sock)
    await stream.send_all(hello("sleeper"))
    return stream


async def read_until(stream, decoder, predicate, timeout=30) -> list[protocol.Message]:
    """Messages from ``stream`` up to and including the first satisfying ``predicate``."""
    seen = []
    with trio.fail_after(timeout):
        while True:
            data = await stream.receive_some(65536)
            assert data, "the server closed the connection"
            for message in decoder.feed(data):
                seen.append(message)
                if predicate(message):
                    return seen


async def test_a_client_that_never_reads_is_resynchronised_and_stalls_nobody():
    async with running_server("--client-queue", "2000000") as server:
        sleeper = await open_sleeper(server)
        async with server.connect("operator") as operator:
            assert (await operator.command(f"load {MANY_STEPS}")).ok
            assert (await operator.command("run")).ok
            await next_event(operator.events(), is_run("finished"), timeout=120)
            nodes = await operator.command("nodes")
        assert set(states_in_nodes(nodes.output).values()) == {"FINISHED"}

        # The sleeper wakes up: it was told it fell behind, then given the current tree.
        decoder = protocol.Decoder()
        seen = await read_until(sleeper, decoder, lambda m: m.type == "event" and m.kind == "notice"
                                and "this client fell behind" in m.message)
        assert seen[0].type == "welcome"
        (restored,) = await read_until(sleeper, decoder, lambda m: True)
        assert restored.kind == "tree" and restored.action == "restored"
        assert states_in_snapshot(restored.snapshot) == states_in_nodes(nodes.output)
        await sleeper.aclose()


async def test_clients_coming_and_going_mid_run(server):
    async with server.connect("operator") as operator:
        assert (await operator.command(f"load {EXPOSURE}")).ok
        assert (await operator.command("run")).ok
        await next_event(operator.events(), is_state("expose", "RUNNING"))

        async def visitor(number):
            async with server.connect(f"visitor{number}") as visitor:
                assert visitor.welcome["snapshot"]["status"] == "running"
                if number % 3 == 0:  # leaves in the middle of a command that waits for the run to end
                    with trio.move_on_after(0.1):
                        await visitor.command("wait")
                elif number % 3 == 1:  # asks something and leaves
                    assert "exposure" in (await visitor.command("modules")).output
                # the others just look and leave

        async with trio.open_nursery() as nursery:
            for number in range(30):
                nursery.start_soon(visitor, number)
        assert (await operator.command("abort")).ok
        await next_event(operator.events(), is_run("aborted"))
        nodes = await operator.command("nodes")
    async with server.connect("latecomer") as latecomer:
        assert states_in_snapshot(latecomer.welcome["snapshot"]) == states_in_nodes(nodes.output)
        assert (await latecomer.command("run")).ok
        await next_event(latecomer.events(), is_state("expose", "RUNNING"))
        assert (await latecomer.command("abort")).ok
