"""No process of a chain outlives the one that owns it: the server's death (kill -9) ends the shell,
the kernel and what a script started; so do the shell's death and the kernel's, with a server or without."""
import itertools
import os
import pathlib
import signal

import pytest
import trio

from peers import spawn_pipe_shell
from server_harness import chain_pids, ended, is_notice, next_event, running_server

SCRIPTS = pathlib.Path(__file__).resolve().parent / "scripts"


def helper_started(event) -> bool:
    return event.get("kind") == "log" and event["message"].startswith("helper pid")


@pytest.mark.parametrize("victim", ["server", "shell", "kernel"])
async def test_what_a_script_started_ends_with_whichever_process_of_the_chain_is_killed(tmp_path, monkeypatch,
                                                                                        victim):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    async with running_server() as server:
        async with server.connect("operator") as operator:
            assert (await operator.command(f"load {SCRIPTS / 'starts_helper.py'}")).ok
            assert (await operator.command("run")).ok
            helper = int((await next_event(operator.events(), helper_started))["message"].split()[-1])
            shell, kernel = chain_pids(server)
            chain = {"server": server.process.pid, "shell": shell, "kernel": kernel}
            os.kill(chain[victim], signal.SIGKILL)
            if victim != "server":  # the server carries on with a fresh chain
                await next_event(operator.events(), is_notice("restored"))
        below = list(chain.values())[list(chain).index(victim):]
        with trio.fail_after(15):
            for pid in [*below, helper]:
                await ended(pid)
        if victim == "server":
            assert await server.process.wait() == -signal.SIGKILL


async def test_what_a_script_started_ends_with_a_shell_killed_without_a_server(tmp_path):
    shell = spawn_pipe_shell(tmp_path)  # a shell of its own, as at an operator's terminal
    try:
        shell.greet()
        assert shell.command(f"load {SCRIPTS / 'starts_helper.py'}")[0].ok
        reply, seen = shell.command("run")
        assert reply.ok
        messages = itertools.chain(seen, iter(lambda: shell.receive(30), None))  # what came, then what comes
        said = next(message for message in messages if message.type == "event" and helper_started(message))
        helper = int(said["message"].split()[-1])
        shell.process.kill()  # the kernel dies with it: what the script started must go too
        with trio.fail_after(15):
            await ended(helper)
    finally:
        shell.process.kill()
        shell.close()
