"""Random and mutated protocol traffic against a real kernel and a real ``seqshell --pipe``.

For every example: the process answers only what the specification documents
(its documented protocol errors, replies to the garbage's commands, events:
never a second welcome, nor anything a client sends), never hangs, and a good
command sent after the garbage is served. The one documented way out is the
tenth bad message in a row, answered with a fatal error: the process then
closes the connection (and, having no other peer, ends), and the next example
starts a fresh one. The byte stream has no frames, so garbage can leave the
receiver inside a message it thinks is incomplete, which swallows the probe
sent after it; it is never left silent: once nothing more of that message
comes, the process drops it with an error (or the error came for the garbage,
and the probe arrived in the same chunk), and the next probe is served.
"""
from __future__ import annotations

import string

import msgpack
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import protocol
from peers import DOCUMENTED_ERRORS, Closed, Hung, spawn_kernel, spawn_pipe_shell

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
# A command cut short in its text: whatever follows is taken as the rest of that text.
CUT_SHORT = [protocol.encode(protocol.Cmd(id=1, line="x" * 300))[:12]]


def served_after_garbage(peers, garbage: list[bytes], *, together: bool) -> None:
    peer = peers.peer
    seen = []
    try:
        if together:
            peer.send(b"".join(garbage))
        else:
            for piece in garbage:
                peer.send(piece)
        for _ in range(3):
            probe = PROBE_IDS + peer.next_id()
            peer.send(protocol.encode(protocol.Cmd(id=probe, line="help nodes")))
            reply = answer_or_drop(peer, probe, seen)
            if reply is not None:
                break
            assert peer.process.poll() is None, f"the process died: exit status {peer.process.poll()}"
            assert any(message.type == "error" for message in seen), "the probe vanished and nobody said why"
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


def answer_or_drop(peer, probe: int, seen: list) -> protocol.Reply | None:
    """The probe's reply, or None when it was lost with the bad input before it: inside a message
    that input left open (the process says so once nothing more of it comes), or in the same chunk
    as bad bytes whose error came (then nothing comes at all)."""
    while True:
        try:
            message = peer.receive(protocol.PAUSE_LIMIT + 1)
        except Hung:
            return None
        if isinstance(message, protocol.Reply) and message.id == probe:
            return message
        seen.append(message)
        if message.type == "error" and message.error.startswith("incomplete message dropped"):
            return None


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


# An example whose garbage leaves a message open costs the pause limit (the connection core's own
# tests try hundreds more with a clock of their own, tests/protocol/test_connection.py).
FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    directory = tmp_path_factory.mktemp("kernel")
    peers = Peers(lambda: spawn_kernel(directory))
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
@example(garbage=CUT_SHORT, together=False)
def test_the_kernel_survives_garbage_and_serves_the_next_command(kernel, garbage, together):
    served_after_garbage(kernel, garbage, together=together)


@settings(FUZZ, max_examples=30)
@given(traffic, st.booleans())
@example(garbage=CUT_SHORT, together=False)
def test_the_pipe_shell_survives_garbage_and_serves_the_next_command(pipe_shell, garbage, together):
    served_after_garbage(pipe_shell, garbage, together=together)
