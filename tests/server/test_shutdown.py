"""SIGTERM and SIGINT stop the server cleanly: children ended, port released."""
import signal
import socket

import pytest
import trio

from server_harness import SCRIPTS, chain_pids, is_running, is_state, next_event, running_server


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
async def test_a_signal_ends_the_server_and_its_children(signum):
    async with running_server() as server:
        async with server.connect("operator") as operator:
            assert (await operator.command(f"load {SCRIPTS / 'exposure.py'}")).ok
            assert (await operator.command("run")).ok
            await next_event(operator.events(), is_state("expose", "RUNNING"))
            shell, kernel = chain_pids(server)

            server.process.send_signal(signum)
            with trio.fail_after(15):
                status = await server.process.wait()
                async for _ in operator.events():
                    pass  # the connection ends
        assert status == 0
        assert not is_running(shell), "the shell outlived the server"
        assert not is_running(kernel), "the kernel outlived the server"
        with socket.socket() as probe:  # the port is free for a new server (which sets SO_REUSEADDR too)
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((server.host, server.port))
            probe.listen()
