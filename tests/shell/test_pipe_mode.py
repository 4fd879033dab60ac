"""``seqshell --pipe``, as the server runs it: the protocol on stdin/stdout."""
from __future__ import annotations

import os
import pathlib
import signal
import subprocess
import sys
from functools import partial

import msgpack
import trio

import protocol
from shell_harness import DYING_SCRIPT

SLOW_SCRIPT = """
import asyncio
from seq.lib.nodes import Sequence

async def slow():
    await asyncio.sleep(60)

def create_sequence(*args, **kw):
    return Sequence.create(slow, name="slow_seq")
"""


class PipeClient:
    def __init__(self, process: trio.Process) -> None:
        self.process = process
        self.decoder = protocol.Decoder()
        self.pending: list[protocol.Message] = []
        self.events: list[dict] = []
        self.next_id = 0

    async def send(self, message: protocol.Message) -> None:
        await self.process.stdin.send_all(protocol.encode(message))

    async def receive(self) -> protocol.Message:
        while not self.pending:
            data = await self.process.stdout.receive_some()
            assert data, "the shell closed its stdout"
            self.pending.extend(self.decoder.feed(data))
        return self.pending.pop(0)

    async def command(self, line: str) -> int:
        self.next_id += 1
        await self.send(protocol.Cmd(id=self.next_id, line=line))
        return self.next_id

    async def reply(self, command_id: int) -> protocol.Reply:
        """The reply to ``command_id``; events seen meanwhile are kept, other replies are an error."""
        while True:
            message = await self.receive()
            if isinstance(message, protocol.Event):
                self.events.append(message.to_dict())
                continue
            assert isinstance(message, protocol.Reply) and message.id == command_id, message
            return message

    async def replies(self, command_ids: list[int]) -> dict[int, protocol.Reply]:
        """The replies to ``command_ids``, by id, in whatever order they come; events are kept."""
        replies = {}
        while len(replies) < len(command_ids):
            message = await self.receive()
            if isinstance(message, protocol.Event):
                self.events.append(message.to_dict())
            elif isinstance(message, protocol.Reply):
                replies[message.id] = message
        return replies

    async def run(self, line: str) -> protocol.Reply:
        return await self.reply(await self.command(line))


async def start_pipe_shell(nursery, tmp_path, *args: str) -> PipeClient:
    process = await nursery.start(
        partial(
            trio.run_process, [sys.executable, "-m", "seqshell", "--pipe", *args], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, check=False, cwd=tmp_path, env={**os.environ, "TMPDIR": str(tmp_path)},
        )
    )
    client = PipeClient(process)
    await client.send(protocol.Hello(version=protocol.VERSION, client="test"))
    welcome = await client.receive()
    assert isinstance(welcome, protocol.Welcome), welcome
    assert "scripts" in welcome.snapshot
    return client


async def test_commands_as_typed_at_the_prompt(tmp_path):
    async with trio.open_nursery() as nursery:
        with trio.fail_after(30):
            client = await start_pipe_shell(nursery, tmp_path)
            loaded = await client.run("load seq.samples.a")
            assert loaded.ok, loaded
            nodes = await client.run("nodes")
            assert "Example A NOT_STARTED" in nodes.output
            helped = await client.run("help skip")
            assert helped.ok and "-find_name" in helped.output
            bad = await client.run("skip notanumber")
            assert not bad.ok and "invalid int value" in bad.error
            unknown = await client.run("bogus")
            assert not unknown.ok and "unknown command 'bogus'" in unknown.error
            quit_ = await client.run("quit")
            assert not quit_.ok and "server" in quit_.error
            bypass = await client.run("bp echo through the pipe")
            assert bypass.ok and bypass.output == "through the pipe"
            await client.command("run")
            while not any(e["kind"] == "run" and e["status"] == "finished" for e in client.events):
                message = await client.receive()
                if isinstance(message, protocol.Event):
                    client.events.append(message.to_dict())
            assert any(e["kind"] == "state" and e["name"] == "a" for e in client.events)
        await client.process.stdin.aclose()
        with trio.fail_after(10):
            await client.process.wait()
        assert client.process.returncode == 0


async def test_a_waiting_command_never_blocks_an_abort(tmp_path):
    script = tmp_path / "slow.py"
    script.write_text(SLOW_SCRIPT)
    async with trio.open_nursery() as nursery:
        with trio.fail_after(30):
            client = await start_pipe_shell(nursery, tmp_path)
            assert (await client.run(f"load {script}")).ok
            assert (await client.run("run")).ok
            waiting = await client.command("wait")  # the run takes a minute: only the abort can end it
            aborting = await client.command("abort")
            replies = await client.replies([waiting, aborting])
            assert replies[aborting].ok
            assert replies[waiting].ok and "aborted" in replies[waiting].output
        await client.process.stdin.aclose()
        with trio.fail_after(10):
            await client.process.wait()


async def test_lines_sent_together_take_effect_in_order(tmp_path):
    """A client that sends ``pause`` and ``run`` back to back gets the pause first."""
    async with trio.open_nursery() as nursery:
        with trio.fail_after(30):
            client = await start_pipe_shell(nursery, tmp_path)
            assert (await client.run("load seq.samples.a")).ok
            lines = ["skip 3", "pause 4", "run", "wait"]
            ids = [await client.command(line) for line in lines]
            replies = await client.replies(ids)
            assert all(replies[i].ok for i in ids), replies
            assert "paused" in replies[ids[-1]].output
            nodes = (await client.run("nodes")).output
            assert "(3) a FINISHED|SKIP|RT.SKIP" in nodes and "(4) b PAUSED|RT.PAUSE" in nodes
        await client.process.stdin.aclose()
        with trio.fail_after(10):
            await client.process.wait()


async def test_sigterm_stops_the_kernel_with_the_shell(tmp_path):
    async with trio.open_nursery() as nursery:
        with trio.fail_after(30):
            client = await start_pipe_shell(nursery, tmp_path)
            children = await trio.run_process(["pgrep", "-P", str(client.process.pid)], capture_stdout=True)
            (kernel_pid,) = children.stdout.decode().split()
            client.process.send_signal(signal.SIGTERM)
            assert await client.process.wait() == 0
        assert not pathlib.Path(f"/proc/{kernel_pid}").exists(), "the kernel outlived its shell"


async def test_bad_messages_get_errors_and_the_shell_keeps_serving(tmp_path):
    async with trio.open_nursery() as nursery:
        with trio.fail_after(30):
            client = await start_pipe_shell(nursery, tmp_path)
            bogus = msgpack.packb({"type": "bogus", "id": 1})
            await client.process.stdin.send_all(bogus + protocol.encode(protocol.Cmd(id=5, line="modules")))
            error = await client.receive()
            assert isinstance(error, protocol.Error) and "unknown message type 'bogus'" in error.error
            assert (await client.reply(5)).ok  # the command sent with it was served
        await client.process.stdin.aclose()
        with trio.fail_after(10):
            assert await client.process.wait() == 0


async def test_otto_settings_come_as_data_for_the_gui(tmp_path):
    config = tmp_path / "seq.yaml"
    config.write_text("otto:\n  url: http://127.0.0.1:5000/\n  insid: FORS2\n  password: secret\n")
    async with trio.open_nursery() as nursery:
        with trio.fail_after(30):
            unconfigured = await start_pipe_shell(nursery, tmp_path)
            assert not (await unconfigured.run("otto")).ok  # the GUI hides its OTTO menu
            client = await start_pipe_shell(nursery, tmp_path, "--config", str(config))
            settings = await client.run("otto")
            assert settings.ok and settings.data["url"] == "http://127.0.0.1:5000/"
            assert settings.data["insid"] == "FORS2" and "password" not in settings.data
            changed = await client.run("otto set insid=UVES")
            assert changed.ok and changed.data["insid"] == "UVES"
        for shell in (unconfigured, client):
            await shell.process.stdin.aclose()
        with trio.fail_after(10):
            for shell in (unconfigured, client):
                assert await shell.process.wait() == 0


async def test_a_dead_kernel_is_reported_and_ends_the_shell(tmp_path):
    """Under a server the shell goes with its kernel, saying why: the server restarts both and restores the work."""
    script = tmp_path / "dying.py"
    script.write_text(DYING_SCRIPT)
    async with trio.open_nursery() as nursery:
        with trio.fail_after(30):
            client = await start_pipe_shell(nursery, tmp_path)
            assert (await client.run(f"load {script}")).ok
            await client.command("run")
            while True:
                message = await client.receive()
                if isinstance(message, protocol.Event) and message.kind == "notice":
                    break
            assert message.level == "ERROR"
            assert message.message.startswith("the kernel died (exit status 3)")
            assert await client.process.wait() != 0


async def test_clear_starts_a_fresh_kernel_with_nothing_loaded(tmp_path):
    """Every client shares the kernel: clear leaves one running, empty, for all of them."""
    async with trio.open_nursery() as nursery:
        with trio.fail_after(30):
            client = await start_pipe_shell(nursery, tmp_path)
            assert (await client.run("load seq.samples.a")).ok
            cleared = await client.run("clear")
            assert cleared.ok and "kernel started" in cleared.output
            assert (await client.run("modules")).ok  # no "type init" needed
            assert "Example A" not in (await client.run("nodes")).output
            assert (await client.run("load seq.samples.a")).ok
        await client.process.stdin.aclose()
        with trio.fail_after(10):
            assert await client.process.wait() == 0
