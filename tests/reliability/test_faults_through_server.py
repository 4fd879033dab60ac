"""Faults in user code and in clients, seen through the real server, shell and kernel."""
import os
import pathlib
import signal

import trio

import protocol
from server_harness import chain_pids, hello, is_notice, is_run, is_state, next_event

SCRIPTS = pathlib.Path(__file__).resolve().parent / "scripts"


async def test_a_blocked_event_loop_is_reported_to_every_client_and_abort_works_after(server):
    async with server.connect("operator") as operator, server.connect("watcher") as watcher:
        assert (await operator.command(f"load {SCRIPTS / 'blocking.py'}")).ok
        assert (await operator.command("run")).ok
        for conn in (operator, watcher):
            warning = await next_event(conn.events(), is_notice("event loop has been blocked"))
            assert warning["level"] == "WARNING" and "while running step 'block'" in warning["message"]
        # The kernel reads the abort once the step returns; the waiting step after it is cancelled.
        with trio.fail_after(20):
            aborted = await watcher.command("abort")
        assert aborted.ok, aborted.error
        await next_event(operator.events(), is_state("expose", "CANCELLED"))
        await next_event(operator.events(), is_run("aborted"))
        recovered = await next_event(watcher.events(), is_notice("running again"))
        assert recovered["level"] == "INFO"


async def test_a_step_that_never_returns_is_cancelled_by_abort(server):
    async with server.connect("operator") as operator:
        assert (await operator.command(f"load {SCRIPTS / 'stuck_thread.py'}")).ok
        for _ in range(2):  # and the same again: the abandoned thread does not stand in the way
            assert (await operator.command("run")).ok
            await next_event(operator.events(), is_state("poll_forever", "RUNNING"))
            assert (await operator.command("abort")).ok
            await next_event(operator.events(), is_state("poll_forever", "CANCELLED"))
            await next_event(operator.events(), is_run("aborted"))
        assert (await operator.command("nodes")).ok


async def test_a_client_that_leaves_mid_command_loses_nothing(server):
    async with server.connect("watcher") as watcher:
        assert (await watcher.command("modules")).ok  # the chain is up
        for line in (f"load {SCRIPTS / 'slow_import.py'}", "wait 30"):
            stream = await trio.open_tcp_stream(server.host, server.port)
            await stream.send_all(hello("leaver"))
            await stream.send_all(protocol.encode(protocol.Cmd(id=1, line=line)))
            await stream.aclose()  # gone before the reply
        await next_event(watcher.events(), lambda e: e.get("kind") == "tree" and e["action"] == "loaded")
        assert "slow_import" in (await watcher.command("modules")).output
        # The load counts as loaded work: a new chain loads it again.
        os.kill(chain_pids(server)[1], signal.SIGKILL)
        await next_event(watcher.events(), is_notice("restored 1 loading command(s)"))
        assert "slow_import" in (await watcher.command("modules")).output


async def test_silent_and_half_sent_connections_do_not_hold_up_others(server):
    silent = [await trio.open_tcp_stream(server.host, server.port) for _ in range(20)]
    half_hello = await trio.open_tcp_stream(server.host, server.port)
    await half_hello.send_all(hello("half")[:7])
    async with server.connect("operator") as operator:
        assert (await operator.command("modules")).ok
    # The server gives up on them after its handshake timeout; each is closed, none is served.
    with trio.fail_after(30):
        for stream in silent:
            assert await stream.receive_some(65536) == b""
        [refusal] = protocol.Decoder().feed(await half_hello.receive_some(65536))
        assert refusal.type == "error" and refusal.fatal and "no hello within" in refusal.error
        assert await half_hello.receive_some(65536) == b""
    for stream in [*silent, half_hello]:
        await stream.aclose()
