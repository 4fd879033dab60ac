"""``seqshell --connect``: the operator's shell as a remote client of the server."""
import pathlib
import sys

import pytest
import trio

from server_harness import is_run, next_event

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "shell"))
from shell_harness import Terminal  # noqa: E402  (the shell's tmux harness)

REMOTE_SHELL = [sys.executable, "-m", "seqshell", "--connect"]


async def test_a_command_file_piped_to_a_remote_shell(server):
    async with server.connect("watcher") as watcher:
        commands = b"load seq.samples.a\nrun\nnodes\nskip 999\n"
        result = await trio.run_process([*REMOTE_SHELL, server.address], stdin=commands,
                                        capture_stdout=True, capture_stderr=True, check=False)
        output = result.stdout.decode()
        assert "(2) Example A FINISHED" in output or "Example A FINISHED" in output, output
        assert result.returncode == 1, "skip 999 failed, so the exit status says so"
        # Another client watched the remote shell's run.
        await next_event(watcher.events(), is_run("finished"))
        assert "seq.samples.a" in (await watcher.command("modules")).output


@pytest.fixture
def terminal(tmp_path):
    terminals = []

    def start(command):
        terminals.append(Terminal(command, cwd=str(tmp_path)))
        return terminals[-1]

    yield start
    for term in terminals:
        term.close()


async def test_a_remote_shell_in_a_terminal_shows_other_clients_work(server, terminal):
    term = terminal([*REMOTE_SHELL, server.address])
    await trio.to_thread.run_sync(term.wait_for, "connected to seqserver")
    async with server.connect("colleague") as colleague:
        assert (await colleague.command("load seq.samples.a")).ok
        assert (await colleague.command("run")).ok
        await next_event(colleague.events(), is_run("finished"))
    # The colleague's run appeared live in the operator's terminal; the operator can drive it too.
    await trio.to_thread.run_sync(term.wait_for, r"FINISHED")
    term.type("nodes")
    await trio.to_thread.run_sync(term.wait_for, r"A-- \(\d+\) b FINISHED")
