"""``seqshell --connect``: the operator's shell as a remote client of the server."""
import os
import pathlib
import sys

import pytest
import trio

from server_harness import is_run, next_event, running_server

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


QUICK = """
from seq.lib.nodes import Sequence

async def first():
    pass

async def last():
    pass

def create_sequence(*args, **kw):
    return Sequence.create(first, last, name="quick", **kw)
"""


async def test_in_a_remote_command_file_a_runs_lines_come_before_the_reply_that_follows_them(tmp_path):
    """Each command's output comes after the events the server sent before its reply: here, every
    line of a run before what the wait after it prints (the run may end before wait is sent)."""
    (tmp_path / "quick.py").write_text(QUICK)
    runs = 5
    commands = "load quick\n" + "reset\nrun\nwait\nmodules\n" * runs
    async with running_server(cwd=tmp_path) as server:
        result = await trio.run_process([*REMOTE_SHELL, server.address], stdin=commands.encode(),
                                        capture_stdout=True, capture_stderr=True, check=False, cwd=tmp_path)
    lines = result.stdout.decode().splitlines()
    assert result.returncode == 0, result.stderr.decode()
    assert lines.count("finished") == runs  # what wait printed
    for _ in range(runs):
        last_step, run_end, waited = (lines.index("(4) last FINISHED"), lines.index("run finished"),
                                      lines.index("finished"))
        assert last_step < run_end < waited, lines
        lines = lines[waited + 1:]


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


async def test_the_server_s_protocol_errors_are_shown_plainly(tmp_path):
    """Lines over the server's message size: each is refused with the reason, and the tenth in a row
    costs the connection (a fatal error, shown as it comes); the shell ends instead of waiting."""
    oversized = "load " + "x" * 2000 + "\n"
    async with running_server("--max-message-size", "1024") as server:
        result = await trio.run_process([*REMOTE_SHELL, server.address], stdin=(oversized * 10 + "modules\n").encode(),
                                        capture_stdout=True, capture_stderr=True, check=False, cwd=tmp_path,
                                        env={**os.environ, "TMPDIR": str(tmp_path)})
    output = result.stdout.decode() + result.stderr.decode()
    assert "refused by the server: message larger than the limit of 1024 bytes" in output, output
    # The fatal error itself, as it came (the notice of the closed connection follows it).
    assert (f"ERROR: seqserver at {server.address}: message larger than the limit of 1024 bytes; "
            "closing the connection after 10 bad messages in a row") in output
    assert result.returncode == 1
