"""Random and mutated protocol traffic against a real kernel and a real ``seqshell --pipe``.

For every example: the process answers only what the specification documents
(its documented protocol errors, replies to the garbage's commands, events:
never a second welcome, nor anything a client sends), never hangs, and a good
command sent after the garbage is served. The one documented way out is the
tenth bad message in a row, answered with a fatal error: the process then
closes the connection (and, having no other peer, ends), and the next example
starts a fresh one. The byte stream has no frames,
so garbage can leave the receiver inside a message it thinks is incomplete; the
specification says how a sender recovers (the message size limit ends any
message, and the receiver resynchronises at the next chunk starting with a map):
the test does exactly that when its first probe goes unanswered.
"""
from __future__ import annotations

import string

import msgpack
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import protocol
from peers import DOCUMENTED_ERRORS, Closed, Hung, spawn_kernel, spawn_pipe_shell

KERNEL_MAX_MESSAGE = 65536
PROBE_IDS = 1 << 40  # far from the ids garbage commands carry

# Command words safe to fire at random (nothing here reads or writes files, runs programs or starts kernels).
SAFE_WORDS = ["nodes", "tree", "modules", "lsob", "snapshot", "run", "wait", "pause", "skip", "unskip", "unpause",
              "flip", "resume", "retry", "continue", "abort", "reset", "lsvar", "setvar", "answer", "err", "help",
              "obdata"]
UNSAFE_WORDS = {"bp", "save", "session", "load", "ob", "fetch", "quit", "init", "clear", "shell", "edit", "history",
                "run_script", "run_pyscript", "ipy", "py", "set", "alias", "macro", "eof", "shortcuts"}

arguments = st.lists(st.text(string.ascii_letters + string.digits + "-._{}:\"", max_size=12), max_size=3)
command_lines = st.one_of(
    st.tuples(st.sampled_from(SAFE_WORDS), arguments).map(lambda c: " ".join([c[0], *c[1]])),
    st.text(string.ascii_lowercase, min_size=1, max_size=10).filter(lambda w: w not in UNSAFE_WORDS),
    st.just(""),
)
commands = st.builds(
    lambda i, line: protocol.encode(protocol.Cmd(id=i, line=line)), st.integers(-(2**31), 2**31), command_lines
)
hellos = st.builds(
    lambda version, client: protocol.encode(protocol.Hello(version=version, client=client)),
    st.integers(0, 3), st.text(max_size=10),
)
scalars = st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1) | st.floats() | st.text(max_size=20) | st.binary(max_size=20)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
                      max_leaves=8)
keys = st.sampled_from(["type", "id", "line", "version", "client", "token", "kind", "ok", "error"]) | st.text(max_size=6)
type_names = st.sampled_from(["hello", "cmd", "reply", "event", "error", "welcome"]) | st.text(max_size=6)
maps = st.builds(lambda t, rest: msgpack.packb({"type": t, **rest}), type_names, st.dictionaries(keys, values, max_size=4))


@st.composite
def mutated(draw):
    """A valid message with bytes flipped, cut, inserted or repeated."""
    data = bytearray(draw(commands | hellos))
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(data)))
        operation = draw(st.sampled_from(["flip", "cut", "insert", "repeat"]))
        if operation == "flip" and at < len(data):
            data[at] ^= draw(st.integers(1, 255))
        elif operation == "cut":
            del data[at:]
        elif operation == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        else:
            data[at:at] = data[at:at + draw(st.integers(1, 8))]
    return bytes(data)


traffic = st.lists(st.binary(max_size=300) | mutated() | maps | commands | hellos, min_size=1, max_size=6)


def padding(max_size: int) -> bytes:
    """More than ``max_size`` bytes that end any message in progress and start no new one:
    bin values of 64 KiB (elements inside a container, payload inside a string, an error at the top)."""
    block = b"\xc6\x00\x00\xff\xff" + bytes(0xFFFF)
    return block * (max_size // len(block) + 2)


def served_after_garbage(peers, garbage: list[bytes], *, together: bool, max_size: int) -> None:
    peer = peers.peer
    seen = []
    try:
        if together:
            peer.send(b"".join(garbage))
        else:
            for piece in garbage:
                peer.send(piece)
        for attempt in range(30):
            if attempt == 1:  # unanswered: the garbage left a message open; end it, as the specification says
                peer.send(padding(max_size))
            probe = PROBE_IDS + peer.next_id()
            peer.send(protocol.encode(protocol.Cmd(id=probe, line="help nodes")))
            try:
                reply, others = peer.reply_to(probe, timeout=0.3)
            except Hung:
                assert peer.process.poll() is None, f"the process died: exit status {peer.process.poll()}"
                continue  # a probe that arrived in the same chunk as the garbage's tail is dropped with it
            seen += others
            break
        else:
            pytest.fail("a good command after the garbage was never served")
    except Closed:
        seen += peer.drain()
        assert seen and seen[-1].type == "error" and seen[-1].fatal, "closed without a fatal error"
        assert seen[-1].error.endswith(f"after {protocol.MAX_BAD_IN_A_ROW} bad messages in a row")
        peers.replace()
    else:
        assert reply.ok and reply.output.lower().startswith("usage: nodes"), reply
    for message in seen:
        assert message.type in ("error", "reply", "event"), f"a {message.type!r} message is no answer to a client"
        if message.type == "error":
            assert DOCUMENTED_ERRORS.fullmatch(message.error), message.error
            assert not message.fatal or message is seen[-1]


class Peers:
    """The process a module's examples are fed to, started again after it closes the connection."""

    def __init__(self, spawn) -> None:
        self._spawn = spawn
        self.peer = None
        self.replace()

    def replace(self) -> None:
        if self.peer is not None:
            self.peer.close()
        self.peer = self._spawn()
        self.peer.greet()

    def close(self) -> int:
        self.peer.close()
        return self.peer.process.returncode


FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# The shell's limit is the default 16 MiB, so ending an open message costs more there: fewer examples.
FUZZ_SHELL = settings(FUZZ, max_examples=30)


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    directory = tmp_path_factory.mktemp("kernel")
    peers = Peers(lambda: spawn_kernel(directory, "--max-message-size", str(KERNEL_MAX_MESSAGE)))
    yield peers
    assert peers.close() == 0


@pytest.fixture(scope="module")
def pipe_shell(tmp_path_factory):
    directory = tmp_path_factory.mktemp("shell")
    peers = Peers(lambda: spawn_pipe_shell(directory))
    yield peers
    assert peers.close() == 0


@FUZZ
@given(traffic, st.booleans())
def test_the_kernel_survives_garbage_and_serves_the_next_command(kernel, garbage, together):
    served_after_garbage(kernel, garbage, together=together, max_size=KERNEL_MAX_MESSAGE)


@FUZZ_SHELL
@given(traffic, st.booleans())
def test_the_pipe_shell_survives_garbage_and_serves_the_next_command(pipe_shell, garbage, together):
    served_after_garbage(pipe_shell, garbage, together=together, max_size=protocol.MAX_MESSAGE_SIZE)
