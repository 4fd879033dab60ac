"""A dialog waiting for an answer, seen by clients that join later: in the welcome's snapshot,
and answered from a second client, a remote shell, while the first sees the resolution."""
import os
import sys

import trio

from server_harness import is_run, next_event

SHELL = [sys.executable, "-m", "seqshell"]


def is_dialog(action: str):
    return lambda event: event.get("kind") == "dialog" and event["action"] == action


async def test_the_welcome_snapshot_lists_the_open_dialogs(server):
    async with server.connect("operator") as operator:
        assert (await operator.command("load seq.samples.dialog")).ok
        assert (await operator.command("run")).ok
        request = await next_event(operator.events(), is_dialog("request"))
        asked = {k: v for k, v in request.items() if k not in ("type", "kind", "action")}
        async with server.connect("late") as late:
            assert late.welcome["snapshot"]["dialogs"] == [asked]
            assert (await late.command(f"answer {request['sn']} stop")).ok
        second = await operator.command(f"answer {request['sn']} perform")
        assert second.error == f"dialog ({request['sn']}) some_dialog was already answered: stop"
        await next_event(operator.events(), is_run("aborted"))
        async with server.connect("later") as later:
            assert later.welcome["snapshot"]["dialogs"] == []


async def test_a_remote_shell_that_joins_is_asked_and_answers(server, tmp_path):
    async with server.connect("operator") as operator:
        assert (await operator.command("load seq.samples.dialog")).ok
        assert (await operator.command("run")).ok
        request = await next_event(operator.events(), is_dialog("request"))
        sn = request["sn"]
        shell = await trio.run_process(
            [*SHELL, "--connect", server.address], stdin=f"answer {sn} stop\n".encode(),
            capture_stdout=True, capture_stderr=True, check=False,
            env={**os.environ, "TMPDIR": str(tmp_path)},
        )
        out = shell.stdout.decode()
        assert shell.returncode == 0, out + shell.stderr.decode()
        assert out.count(f"dialog ({sn}) some_dialog: my first dialog") == 1, out  # asked once on joining
        assert out.index("my first dialog") < out.index(f"dialog ({sn}) some_dialog answered: stop")
        resolved = await next_event(operator.events(), is_dialog("resolved"))
        assert resolved["answer"] == "stop"
        await next_event(operator.events(), is_run("aborted"))
