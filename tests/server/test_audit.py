"""The audit trail: every change, with who made it and how it ended, read back by ``seqtool audit``."""
import json
import sys

import trio

from server_harness import is_run, next_event, running_server

TOKEN_FILE = """\
watch-token   observer  control-room-wall
drive-token   operator  night-ops
build-token   engineer  day-engineer
"""
AUDIT = [sys.executable, "-m", "seqtool", "audit"]
LONG = """
import asyncio
from seq.lib.nodes import Sequence

async def observe():
    await asyncio.sleep(3600)

def create_sequence(*args, **kw):
    return Sequence.create(observe, name="long", **kw)
"""


async def audit(*args: str) -> tuple[int, list[str], str]:
    result = await trio.run_process([*AUDIT, *args], capture_stdout=True, capture_stderr=True, check=False)
    return result.returncode, result.stdout.decode().splitlines(), result.stderr.decode()


async def test_who_aborted_and_who_was_refused(tmp_path):
    (tmp_path / "tokens").write_text(TOKEN_FILE)
    (tmp_path / "long.py").write_text(LONG)
    log = tmp_path / "audit.jsonl"
    async with running_server("--token-file", str(tmp_path / "tokens"), "--audit-log", str(log),
                              cwd=tmp_path) as server:
        async with server.connect("wall", token="watch-token") as wall, \
                server.connect("seqgui", token="drive-token") as ops, \
                server.connect("seqshell", token="build-token") as engineer:
            assert (await engineer.command("load long")).ok
            assert (await wall.command("nodes")).ok
            assert not (await wall.command("abort")).ok
            events = ops.events()
            assert (await ops.command("run")).ok
            await next_event(events, lambda event: event.get("state") == "RUNNING")
            assert (await ops.command("abort")).ok
            await next_event(events, is_run("aborted"))
            assert not (await ops.command("skip 999")).ok

    status, lines, _ = await audit("--file", str(log), "--command", "abort")
    assert status == 0
    [refused, aborted] = lines
    assert "control-room-wall (observer)  wall from 127.0.0.1:" in refused
    assert refused.endswith("abort  -> refused: needs operator")
    assert "night-ops (operator)  seqgui from 127.0.0.1:" in aborted and aborted.endswith("abort  -> ok")

    _, lines, _ = await audit("--file", str(log))
    commands = [line.split("  ")[3] for line in lines]
    assert commands == ["load long", "abort", "run", "abort", "skip 999"], lines
    assert "failed: " in lines[-1], "a failed command says why"
    assert not any("nodes" in line for line in lines), "a command that changes nothing is not audited"

    _, lines, _ = await audit("--file", str(log), "--connections", "--token", "day-engineer")
    assert [line.split("  ", 3)[3] for line in lines] == ["[connected]", "load long  -> ok",
                                                           "[disconnected]"]
    text = log.read_text()
    assert not any(token in text for token in ("watch-token", "drive-token", "build-token"))
    entry = json.loads(text.splitlines()[0])
    assert {"ts", "server", "client", "peer", "role", "token"} <= entry.keys()


async def test_the_log_rotates_and_is_read_back_whole_in_order(tmp_path):
    log = tmp_path / "audit.jsonl"
    async with running_server("--audit-log", str(log), "--audit-max-bytes", "1500", "--audit-backups", "3") as server:
        async with server.connect("seqshell") as shell:
            for n in range(40):
                assert not (await shell.command(f"skip {1000 + n}")).ok
    rotated = sorted(path.name for path in tmp_path.glob("audit.jsonl*"))
    assert rotated == ["audit.jsonl", "audit.jsonl.1", "audit.jsonl.2", "audit.jsonl.3"]
    _, lines, _ = await audit("--file", str(log))
    skipped = [int(line.split("  ")[3].split()[1]) for line in lines]
    assert skipped == list(range(skipped[0], 1040)) and len(skipped) > 10, "the latest entries, oldest first"


async def test_a_server_keeps_its_log_in_the_state_directory_by_its_port(tmp_path):
    async with running_server() as server:
        async with server.connect("seqshell") as shell:
            assert not (await shell.command("skip 7")).ok
        status, lines, _ = await audit("--port", str(server.port), "--since", "00:00")
    assert status == 0 and len(lines) == 1 and "owner (engineer)  seqshell" in lines[0]
    status, lines, _ = await audit("--port", str(server.port), "--until", "2000-01-01T00:00")
    assert status == 0 and lines == []


async def test_unreadable_input_is_reported_not_hidden(tmp_path):
    log = tmp_path / "audit.jsonl"
    log.write_text('{"ts": "2026-12-07T03:12:04Z", "event": "command", "line": "abort", "ok": true}\nnot json\n')
    status, lines, errors = await audit("--file", str(log))
    assert status == 0 and len(lines) == 1 and "line 2: not an audit entry" in errors
    status, _, errors = await audit("--file", str(tmp_path / "missing"))
    assert status == 1 and "no such file" in errors
    status, _, errors = await audit("--since", "yesterday")
    assert status == 2 and "not a time" in errors
