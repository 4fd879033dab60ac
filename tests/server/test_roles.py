"""Roles: a token file gives each token observer, operator or engineer, and the server holds each
client to what its role may do."""
import contextlib
import os
import sys

import pytest
import trio

from seqclient import ConnectionClosed
from server_harness import is_run, next_event, running_server

TOKENS = {"observer": "watch-token", "operator": "drive-token", "engineer": "build-token"}
TOKEN_FILE = """\
# TOKEN       ROLE      NAME
watch-token   observer  control-room-wall
drive-token   operator  night-ops
build-token             # a token alone gives engineer
"""


@pytest.fixture
async def server(tmp_path):
    token_file = tmp_path / "tokens"
    token_file.write_text(TOKEN_FILE)
    async with running_server("--token-file", str(token_file), "--max-clients", "7") as server:
        server.token_file = token_file
        yield server


def connect(server, role: str, name: str | None = None):
    return server.connect(name or role, token=TOKENS[role])


async def test_the_welcome_says_the_role_each_token_gives(server):
    for role in TOKENS:
        async with connect(server, role) as conn:
            assert conn.welcome["role"] == role


async def test_each_role_may_do_what_the_one_before_may_and_no_more(server):
    async with connect(server, "observer") as observer, connect(server, "operator") as operator, \
            connect(server, "engineer") as engineer:
        refused = await operator.command("load seq.samples.a")
        assert not refused.ok
        assert refused.error == "load: needs the engineer role; your token (night-ops) gives operator"
        assert (await engineer.command("load seq.samples.a")).ok

        events = observer.events()
        for line in ("run", "abort", "skip 3", "bp id", "otto set --loop"):
            reply = await observer.command(line)
            assert not reply.ok and "your token (control-room-wall) gives observer" in reply.error, line
        breakpoint_set = await observer.command("break 3")
        assert breakpoint_set.error.startswith("break: needs the operator role")
        assert (await observer.command("break")).ok, "break without arguments only lists the breakpoints"
        assert (await observer.command("nodes")).ok and (await observer.command("modules")).ok

        assert (await operator.command("run")).ok
        await next_event(events, is_run("finished"))  # the observer sees what it may not start


async def test_a_refused_command_changes_nothing(server):
    async with connect(server, "observer") as observer, connect(server, "engineer") as engineer:
        assert not (await observer.command("load seq.samples.a")).ok
        assert (await engineer.command("modules")).output.strip() == ""


async def test_observers_leave_the_last_slots_to_those_who_act(server):
    async with contextlib.AsyncExitStack() as stack:
        for n in range(2):  # 7 clients at most, the last 5 for operators and engineers
            await stack.enter_async_context(connect(server, "observer", f"wall{n}"))
        with pytest.raises(ConnectionClosed, match="the last 5 of them operators and engineers only"):
            async with connect(server, "observer", "one more wall"):
                pass
        for n in range(5):
            await stack.enter_async_context(connect(server, "operator", f"ops{n}"))
        with pytest.raises(ConnectionClosed, match="too many clients"):
            async with connect(server, "engineer"):
                pass


async def test_the_remote_shell_says_its_role(server):
    env = {**os.environ, "SEQ_TOKEN": TOKENS["observer"]}
    result = await trio.run_process([sys.executable, "-m", "seqshell", "--connect", server.address],
                                    stdin=b"run\n", capture_stdout=True, capture_stderr=True, check=False, env=env)
    output = (result.stdout + result.stderr).decode()
    assert "as observer" in output, output
    assert "run: needs the operator role" in output, output
    assert result.returncode == 1
