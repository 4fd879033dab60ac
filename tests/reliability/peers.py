"""Blocking protocol peers of real processes, for tests driven by hypothesis (one process, many examples).

Hypothesis runs each example as a plain function call, so these peers use
ordinary sockets and pipes with ``select`` timeouts rather than trio: the
process under test is started once per module and fed example after example.
"""
from __future__ import annotations

import os
import re
import select
import socket
import subprocess
import sys
import time

import protocol

# Every protocol-level error text the specification documents (protocol/README.md, section 6),
# and the end the tenth in a row gets (then fatal: the connection is closed).
DOCUMENTED_ERRORS = re.compile(
    r"(malformed data: .+"
    r"|message larger than the limit of \d+ bytes"
    r"|incomplete message dropped: \d+ bytes received, .+"
    r"|unknown message type .+; known: .+"
    r"|message without a 'type' field"
    r"|'\w+' message: .+"
    r"|unexpected '\w+' message: .+"
    r"|already greeted: 'hello' is only sent once)"
    r"(; closing the connection after \d+ bad messages in a row)?",
    re.DOTALL,
)


class Closed(AssertionError):
    """The process closed the connection."""


SEND_TIMEOUT = 10.0


class Hung(AssertionError):
    """The process sent nothing for longer than the timeout."""


class BlockingPeer:
    """One protocol connection to a process: send bytes, read messages with a timeout."""

    def __init__(self, process: subprocess.Popen, send_fd: int, receive_fd: int) -> None:
        self.process = process
        self._send_fd = send_fd
        self._receive_fd = receive_fd
        os.set_blocking(send_fd, False)  # a write takes what fits; send() reads while it waits
        self._decoder = protocol.Decoder()
        self._inbox: list[protocol.Message] = []
        self._ids = iter(range(1, 1 << 62))

    def send(self, data: bytes, timeout: float = SEND_TIMEOUT) -> None:
        """Write all of ``data``, reading what the process sends meanwhile: a process that
        answers garbage with errors while we are still writing would otherwise fill its
        output pipe, stop reading, and leave both sides waiting for ever."""
        view = memoryview(data)
        while view:
            readable, writable, _ = select.select([self._receive_fd], [self._send_fd], [], timeout)
            if not readable and not writable:
                raise Hung(f"the process took nothing and sent nothing for {timeout} s")
            if readable:
                self._read_available()
            if writable:
                try:
                    view = view[os.write(self._send_fd, view):]
                except BlockingIOError:
                    pass

    def receive(self, timeout: float) -> protocol.Message:
        """The next message; Hung after ``timeout`` seconds of silence."""
        while not self._inbox:
            readable, _, _ = select.select([self._receive_fd], [], [], timeout)
            if not readable:
                raise Hung(f"nothing received for {timeout} s")
            self._read_available()
        return self._inbox.pop(0)

    def _read_available(self) -> None:
        try:
            data = os.read(self._receive_fd, 65536)
        except BlockingIOError:  # a socket peer: one descriptor, non-blocking both ways
            return
        if not data:
            raise Closed(f"the process closed the connection (exit status {self.process.poll()})")
        self._inbox.extend(self._decoder.feed(data))

    def drain(self) -> list[protocol.Message]:
        """What was received and not yet taken (after the process closed the connection)."""
        taken, self._inbox = self._inbox, []
        return taken

    def next_id(self) -> int:
        return next(self._ids)

    def command(self, line: str, timeout: float = 10.0) -> tuple[protocol.Reply, list[protocol.Message]]:
        """Send one command; return its reply and the other messages received meanwhile."""
        request_id = self.next_id()
        self.send(protocol.encode(protocol.Cmd(id=request_id, line=line)))
        return self.reply_to(request_id, timeout)

    def reply_to(self, request_id: int, timeout: float) -> tuple[protocol.Reply, list[protocol.Message]]:
        deadline = time.monotonic() + timeout
        others = []
        while True:
            message = self.receive(max(0.0, deadline - time.monotonic()))
            if isinstance(message, protocol.Reply) and message.id == request_id:
                return message, others
            others.append(message)

    def greet(self) -> protocol.Welcome:
        self.send(protocol.encode(protocol.Hello(version=protocol.VERSION, client="fuzz")))
        welcome = self.receive(30)
        assert isinstance(welcome, protocol.Welcome), welcome
        return welcome

    def close(self) -> None:
        """Close our end (the process sees end of input and exits); kill it after 10 s."""
        if self._send_fd == self._receive_fd:  # a socket: both directions on one descriptor
            socket.socket(fileno=os.dup(self._send_fd)).shutdown(socket.SHUT_WR)
        else:
            os.close(self._send_fd)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._receive_fd)


def spawn_kernel(cwd, *args: str) -> BlockingPeer:
    """``python -m seqkernel --fd N`` on one end of a socketpair."""
    ours, theirs = socket.socketpair()
    process = subprocess.Popen(
        [sys.executable, "-m", "seqkernel", "--fd", str(theirs.fileno()), *args],
        pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL, cwd=cwd,
    )
    theirs.close()
    fd = ours.detach()
    return BlockingPeer(process, fd, fd)


def spawn_pipe_shell(cwd) -> BlockingPeer:
    """``python -m seqshell --pipe``, as the server runs it (its session directory under ``cwd``)."""
    their_stdin, our_send = os.pipe()
    our_receive, their_stdout = os.pipe()
    process = subprocess.Popen(
        [sys.executable, "-m", "seqshell", "--pipe"], stdin=their_stdin, stdout=their_stdout, cwd=cwd,
        env={**os.environ, "TMPDIR": str(cwd)},
    )
    os.close(their_stdin)
    os.close(their_stdout)
    return BlockingPeer(process, our_send, our_receive)
