"""SIGTERM and SIGINT stop the server cleanly: children ended, port released; no process left behind."""
import pathlib
import signal
import socket

import pytest
import trio

from server_harness import SCRIPTS, chain_pids, is_running, is_state, next_event, parent_of, running_server


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
async def test_a_signal_ends_the_server_and_its_children(signum, tmp_path):
    log = tmp_path / "server.log"
    with log.open("w") as log_file:
        async with running_server(stderr=log_file) as server, server.connect("operator") as operator:
            assert (await operator.command(f"load {SCRIPTS / 'exposure.py'}")).ok
            assert (await operator.command("run")).ok
            await next_event(operator.events(), is_state("expose", "RUNNING"))
            shell, kernel = chain_pids(server)

            server.process.send_signal(signum)
            with trio.fail_after(15):
                status = await server.process.wait()
                goodbye = [event async for event in operator.events() if event.get("kind") == "notice"]
    assert goodbye[-1]["message"] == "the server is shutting down"
    assert status == 0
    assert not is_running(shell), "the shell outlived the server"
    assert not is_running(kernel), "the kernel outlived the server"
    assert "left behind" not in log.read_text(), "a clean stop leaves the server nothing to end"
    with socket.socket() as probe:  # the port is free for a new server (which sets SO_REUSEADDR too)
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((server.host, server.port))
        probe.listen()


async def test_a_helper_left_behind_by_a_script_is_reaped_when_it_exits(server):
    async with server.connect("operator") as operator:
        assert (await operator.command(f"load {SCRIPTS / 'leaves_helper.py'}")).ok
        assert (await operator.command("run")).ok
        said = await next_event(operator.events(), lambda e: e.get("kind") == "output" and "helper" in e["text"])
        helper = int(said["text"].split()[1])
        # the step returns once its `sh` has exited, which is when the helper became an orphan
        await next_event(operator.events(), is_state("start_helper", "FINISHED"))
        assert parent_of(helper) == server.process.pid, "the server adopts what scripts leave behind"
        with trio.fail_after(15):
            while pathlib.Path(f"/proc/{helper}").exists():  # a zombie would stay listed
                await trio.sleep(0.05)
