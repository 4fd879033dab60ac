"""Ending things while a step blocks the kernel's event loop: kill -9 of the kernel, SIGTERM of the server."""
import os
import pathlib
import signal

import trio

from server_harness import chain_pids, is_notice, is_running, next_event, running_server

SCRIPTS = pathlib.Path(__file__).resolve().parent / "scripts"


async def test_a_kernel_killed_while_blocked_is_replaced_and_commands_answered(server):
    async with server.connect("operator") as operator, server.connect("watcher") as watcher:
        assert (await operator.command(f"load {SCRIPTS / 'stuck_loop.py'}")).ok
        assert (await operator.command("run")).ok
        await next_event(watcher.events(), is_notice("event loop has been blocked"))
        shell, kernel = chain_pids(server)
        async with trio.open_nursery() as nursery:
            answers = {}

            async def ask(conn, line):
                answers[line] = await conn.command(line)

            nursery.start_soon(ask, operator, "wait 120")
            nursery.start_soon(ask, watcher, "nodes")  # both wait for the blocked kernel
            os.kill(kernel, signal.SIGKILL)
            with trio.fail_after(30):
                await next_event(watcher.events(), is_notice("restored"))
        assert set(answers) == {"wait 120", "nodes"}  # answered (failed or not), nobody left hanging
        assert not is_running(kernel) and not is_running(shell)  # the whole chain was replaced
        assert "stuck_loop" in (await watcher.command("modules")).output


async def test_sigterm_while_a_step_blocks_ends_every_process(tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    async with running_server() as server:
        async with server.connect("operator") as operator:
            assert (await operator.command(f"load {SCRIPTS / 'stuck_loop.py'}")).ok
            assert (await operator.command("run")).ok
            await next_event(operator.events(), is_notice("event loop has been blocked"))
            shell, kernel = chain_pids(server)
            server.process.send_signal(signal.SIGTERM)
            with trio.fail_after(30):  # well before the step's minute is up
                assert await server.process.wait() == 0
    assert not is_running(shell), "the shell outlived the server"
    assert not is_running(kernel), "the blocked kernel outlived the server"
