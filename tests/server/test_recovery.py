"""A shell or kernel killed mid-run: clients are told, stay connected, and find their work loaded again."""
import os
import signal

import pytest

from server_harness import SCRIPTS, chain_pids, is_run, is_running, is_state, next_event, states_in_nodes

EXPOSURE = SCRIPTS / "exposure.py"


def is_notice(text):
    return lambda event: event.get("kind") == "notice" and event["message"].startswith(text)


@pytest.mark.parametrize("victim", ["kernel", "shell"])
async def test_the_chain_is_restarted_with_the_loaded_work(server, victim):
    async with server.connect("operator") as operator, server.connect("watcher") as watcher:
        assert (await operator.command(f"load {EXPOSURE}")).ok
        assert (await operator.command("skip -find_name readout")).ok
        assert (await operator.command("run")).ok
        await next_event(watcher.events(), is_state("expose", "RUNNING"))
        shell, kernel = chain_pids(server)

        os.kill(kernel if victim == "kernel" else shell, signal.SIGKILL)

        for conn in (operator, watcher):
            ended = await next_event(conn.events(), lambda e: e.get("kind") == "notice"
                                     and "restoring the loaded work" in e["message"])
            assert ended["message"].startswith(f"the {victim}")
            restored = await next_event(conn.events(), is_notice("restored"))
            assert restored["message"] == "restored 1 loading command(s) and 1 flag(s)"
        assert not is_running(shell) and not is_running(kernel)
        new_shell, new_kernel = chain_pids(server)
        assert {new_shell, new_kernel}.isdisjoint({shell, kernel})

        # The same script is loaded with its flag, ready to run again, for both clients.
        states = states_in_nodes((await watcher.command("nodes")).output)
        assert sorted(states.values()).count("NOT_STARTED|RT.SKIP") == 1
        assert (await operator.command("run")).ok
        await next_event(watcher.events(), is_state("expose", "RUNNING"))
        assert (await watcher.command("abort")).ok
        await next_event(operator.events(), is_run("aborted"))
