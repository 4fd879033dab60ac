"""The same protocol cases against the three processes that answer it: the kernel, the pipe shell, the server.

Each case sends raw bytes and checks every message that comes back against
``protocol/README.md`` (sections 2, 6 and 8): the handshake, bad input, the
command language, and events before the reply of the command that caused them.
A peer is a real process: ``seqkernel --fd N`` on a socketpair, ``seqshell
--pipe`` on pipes, ``seqserver`` over TCP.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import AsyncIterator

import msgpack
import pytest
import trio

import protocol
from seqclient import access
from server_harness import running_server

VERSION_TEXT = "protocol version 99 is not supported: this {name} speaks version 1"


class RawPeer:
    """A byte stream to a process that answers the protocol, and the messages it sends back."""

    def __init__(self, name: str, send: trio.abc.SendStream, receive: trio.abc.ReceiveStream) -> None:
        self.name = name  # how the process names itself in errors: seqkernel, seqshell, seqserver
        self._send, self._receive = send, receive
        self._decoder = protocol.Decoder()
        self._pending: list[protocol.Message] = []

    async def send(self, *messages: protocol.Message | dict | bytes) -> None:
        await self._send.send_all(b"".join(_bytes(message) for message in messages))

    async def next(self, timeout: float = 30) -> protocol.Message | None:
        """The next message; None once the peer has closed the connection."""
        with trio.fail_after(timeout):
            while not self._pending:
                try:
                    data = await self._receive.receive_some(65536)
                except trio.BrokenResourceError:
                    data = b""
                if not data:
                    return None
                self._pending.extend(self._decoder.feed(data))
        return self._pending.pop(0)

    async def next_answer(self, timeout: float = 30) -> protocol.Message | None:
        """The next message that is not an event."""
        while (message := await self.next(timeout)) is not None and message.type == "event":
            pass
        return message

    async def greet(self) -> protocol.Welcome:
        await self.send(hello())
        welcome = await self.next()
        assert isinstance(welcome, protocol.Welcome), welcome
        return welcome

    async def command(self, request_id: int, line: str) -> tuple[protocol.Reply, list[protocol.Event]]:
        """The reply to ``line`` and the events that came before it."""
        await self.send(protocol.Cmd(id=request_id, line=line))
        events = []
        while True:
            message = await self.next()
            assert message is not None, f"the {self.name} closed the connection"
            if message.type == "event":
                events.append(message)
                continue
            assert message.type == "reply" and message.id == request_id, message
            return message, events


def _bytes(message: protocol.Message | dict | bytes) -> bytes:
    if isinstance(message, bytes):
        return message
    if isinstance(message, dict):
        return msgpack.packb(message)
    return protocol.encode(message, max_size=2 * protocol.MAX_MESSAGE_SIZE)


def hello(**fields) -> dict:
    """A hello with the token a seqserver of this user asks for (the others ignore it)."""
    return {"type": "hello", "version": protocol.VERSION, "client": "conformance",
            "token": access.user_token(), **fields}


async def spawn(nursery: trio.Nursery, argv: list[str], **options) -> trio.Process:
    return await nursery.start(lambda task_status: trio.run_process(
        argv, check=False, task_status=task_status, **options))


@pytest.fixture(params=["seqkernel", "seqshell", "seqserver"])
async def peer(request, tmp_path) -> AsyncIterator[RawPeer]:
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    async with trio.open_nursery() as nursery:
        if request.param == "seqkernel":
            ours, theirs = socket.socketpair()
            with theirs:
                process = await spawn(nursery, [sys.executable, "-m", "seqkernel", "--fd", str(theirs.fileno())],
                                      pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL, cwd=tmp_path, env=env)
            stream = trio.SocketStream(trio.socket.from_stdlib_socket(ours))
            yield RawPeer("seqkernel", stream, stream)
            await stream.aclose()
        elif request.param == "seqshell":
            process = await spawn(nursery, [sys.executable, "-m", "seqshell", "--pipe"], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, cwd=tmp_path, env=env)
            yield RawPeer("seqshell", process.stdin, process.stdout)
            await process.stdin.aclose()
        else:
            async with running_server(cwd=tmp_path, env=env) as server:
                stream = await trio.open_tcp_stream(server.host, server.port)
                yield RawPeer("seqserver", stream, stream)
                await stream.aclose()
            return
        with trio.fail_after(30):
            await process.wait()


async def test_hello_is_answered_with_a_welcome_carrying_an_empty_snapshot(peer):
    welcome = await peer.greet()
    assert welcome.version == protocol.VERSION and welcome.server.startswith(f"{peer.name} ")
    assert welcome.snapshot["status"] == "idle" and welcome.snapshot["scripts"] == []
    reply, _ = await peer.command(1, "modules")
    assert reply.ok and reply.output == ""


@pytest.mark.parametrize("first, problem", [
    (protocol.Cmd(id=5, line="nodes"), "send 'hello' first, not 'cmd'"),
    (protocol.Reply(id=1, ok=True, output=""), "send 'hello' first, not 'reply'"),
    (hello(version=99), VERSION_TEXT),
    ({"type": "hello", "version": 1}, "bad hello: 'hello' message: missing field 'client'"),
    ({"type": "hello", "version": 1, "client": "x" * 70_000}, "bad hello: message larger than the limit of 65536 bytes"),
])
async def test_anything_but_a_proper_hello_first_is_refused_and_the_connection_closed(peer, first, problem):
    await peer.send(first, protocol.Cmd(id=6, line="modules"))
    refusal = await peer.next()
    assert refusal.type == "error" and refusal.fatal, refusal
    assert refusal.error == problem.format(name=peer.name)
    assert await peer.next() is None  # nothing else, and closed: the command after it was not served


BAD_MESSAGES = [
    (b"\xc1\xc1\xc1", "malformed data: bytes that are not msgpack"),
    (msgpack.packb([1, 2, 3]), "malformed data: expected a message (a map), got list"),
    ({"type": "cmd", "id": "seven", "line": "nodes"}, "'cmd' message: field 'id' must be an integer, not str 'seven'"),
    ({"type": "cmd", "id": 1}, "'cmd' message: missing field 'line'"),
    ({"type": "cmd", "id": 1, "line": "x", "colour": "red"}, "'cmd' message: unknown field 'colour'"),
    ({"type": "shout", "text": "hi"}, "unknown message type 'shout'; known: hello, welcome, cmd, reply, event, error"),
    ({"type": "x" * 1000}, "unknown message type 'xxxxxxxxxxxxxxxxx...xxxxxxxxxxxxxxxxxx'; known: hello, welcome, "
                           "cmd, reply, event, error"),
    (protocol.Reply(id=1, ok=True, output=""), "unexpected 'reply' message: after 'hello' a client sends 'cmd' messages"),
    (hello(), "already greeted: 'hello' is only sent once"),
]


async def test_bad_messages_after_the_welcome_get_an_error_and_the_peer_keeps_serving(peer):
    await peer.greet()
    for request_id, (bad, problem) in enumerate(BAD_MESSAGES, start=1):
        await peer.send(bad)
        error = await peer.next_answer()
        assert (error.type, error.error, error.fatal) == ("error", problem, False), bad
        reply, _ = await peer.command(request_id, "help nodes")
        assert reply.ok and "nodes" in reply.output


async def test_a_message_cut_short_is_dropped_with_an_error_and_the_peer_serves_the_next_command(peer):
    """The bytes after a message cut short are taken as its rest (here a whole command vanishes into
    its text), so the peer cannot see the cut; it sees the message stop arriving, and says so."""
    await peer.greet()
    cut = protocol.encode(protocol.Cmd(id=1, line="x" * 200))[:20]
    swallowed = protocol.encode(protocol.Cmd(id=2, line="modules"))
    await peer.send(cut + swallowed)
    error = await peer.next_answer(timeout=protocol.PAUSE_LIMIT + 10)
    assert error.type == "error" and not error.fatal, error
    assert error.error == (f"incomplete message dropped: {len(cut) + len(swallowed)} bytes received, "
                           f"then nothing more for {protocol.PAUSE_LIMIT:g} s")
    reply, _ = await peer.command(3, "help nodes")
    assert reply.ok and "nodes" in reply.output


async def test_ten_bad_messages_in_a_row_close_the_connection(peer):
    await peer.greet()
    await peer.send(*[{"type": "shout"}] * protocol.MAX_BAD_IN_A_ROW)
    errors = [await peer.next_answer() for _ in range(protocol.MAX_BAD_IN_A_ROW)]
    assert [error.fatal for error in errors] == [False] * (protocol.MAX_BAD_IN_A_ROW - 1) + [True]
    assert errors[-1].error.endswith("closing the connection after 10 bad messages in a row")
    assert await peer.next_answer() is None


async def test_commands_sent_with_the_hello_are_served_after_the_welcome(peer):
    await peer.send(hello(), protocol.Cmd(id=1, line="modules"), protocol.Cmd(id=2, line="nodes"))
    assert (await peer.next()).type == "welcome"
    answers = [await peer.next_answer(), await peer.next_answer()]
    assert [(answer.type, answer.id, answer.ok) for answer in answers] == [("reply", 1, True), ("reply", 2, True)]


KERNEL_COMMANDS = sorted(name for name, command in protocol.COMMANDS.items()
                         if command.runs_in == protocol.KERNEL and " " not in name)


async def test_every_command_the_kernel_knows_is_known_through_every_peer(peer):
    await peer.greet()
    for request_id, name in enumerate(KERNEL_COMMANDS, start=1):
        reply, _ = await peer.command(request_id, f"{name} -h")
        assert reply.ok and "usage" in reply.output.lower(), (name, reply)
    reply, _ = await peer.command(100, "snapshot")
    assert reply.ok and reply.data["status"] == "idle"


async def test_unknown_commands_and_bad_arguments_fail_with_the_reason(peer):
    await peer.greet()
    for request_id, (line, problem) in enumerate([
        ("frobnicate 3", "unknown command 'frobnicate'"),
        ("pause x", "invalid int value: 'x'"),
        ("load 'unclosed", "No closing quotation"),
    ], start=1):
        reply, _ = await peer.command(request_id, line)
        assert not reply.ok and problem in reply.error, (line, reply)


async def test_a_loads_tree_event_comes_before_its_reply(peer):
    await peer.greet()
    for request_id in range(1, 17):
        reply, events = await peer.command(request_id, "load seq.samples.a")
        assert reply.ok, reply
        assert any(event.kind == "tree" and event.action == "loaded" for event in events), request_id


QUICK = """
from seq.lib.nodes import Sequence

def step():
    print("step ran")

def create_sequence(*args, **kw):
    return Sequence.create(step, step, name="quick", **kw)
"""


async def test_a_runs_events_come_before_the_reply_of_wait(peer, tmp_path):
    (tmp_path / "quick.py").write_text(QUICK)
    await peer.greet()
    await peer.command(1, "load quick")
    _, before_run_reply = await peer.command(2, "run")
    reply, before_wait_reply = await peer.command(3, "wait")
    assert reply.ok and reply.data == "finished"
    runs = [event.status for event in before_run_reply + before_wait_reply if event.kind == "run"]
    assert runs == ["running", "finished"]
