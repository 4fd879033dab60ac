"""The parent's side of a kernel: spawn it, greet it, send commands, follow its events.

Used by the shell to own its kernel, by tests and by the benchmarks::

    async with KernelLink.spawn(session_dir=path) as kernel:
        reply = await kernel.command("load seq.samples.a")
        await kernel.command("run")
        seen = await kernel.wait_for(lambda m: m.type == "event" and m.kind == "run" and m.status != "started")

The kernel is started as ``python -m seqkernel --fd N`` on one end of a
socketpair, in a session of its own (a Ctrl-C at the parent's terminal is the
parent's to interpret). Replies are matched to commands by id, so commands may
be sent from several tasks at once. Everything else the kernel sends (events,
protocol errors) arrives, in order, on ``kernel.messages``: drain it, since it
is unbounded (the kernel itself bounds what it queues). When the kernel exits or
dies, pending and later commands raise :class:`KernelDied` with its exit status,
``messages`` ends, and :meth:`wait_exit` returns the status.
"""
from __future__ import annotations

import math
import socket
import subprocess
import sys
from collections.abc import Callable
from contextlib import asynccontextmanager

import trio

import protocol

RECEIVE_SIZE = 64 * 1024


class KernelDied(Exception):
    """The kernel process ended; ``returncode`` is its exit status (negative: killed by that signal)."""

    def __init__(self, returncode: int | None) -> None:
        super().__init__(f"the kernel exited with status {returncode}")
        self.returncode = returncode


class KernelRefused(Exception):
    """The kernel answered ``hello`` with an error."""


class _Pending:
    __slots__ = ("done", "reply")

    def __init__(self) -> None:
        self.done = trio.Event()
        self.reply: protocol.Reply | None = None


class KernelLink:
    """A running kernel process and the protocol connection to it."""

    def __init__(self, process: trio.Process, stream: trio.SocketStream) -> None:
        self.process = process
        self.welcome: protocol.Welcome | None = None
        self.returncode: int | None = None
        self._stream = stream
        self._decoder = protocol.Decoder()
        self._send_lock = trio.Lock()
        self._next_id = 1
        self._pending: dict[int, _Pending] = {}
        self._incoming, self.messages = trio.open_memory_channel(math.inf)
        self._ended = trio.Event()
        self._early: list[protocol.Message] = []  # what came with the welcome

    @classmethod
    @asynccontextmanager
    async def spawn(
        cls,
        *,
        session_dir: str | None = None,
        log_level: str | None = None,
        instrument: str | None = None,
        client: str = "seqkernel.link",
        stderr=None,
        cwd=None,
        env=None,
        handshake_timeout: float = 10.0,
    ):
        """Start a kernel, greet it, and yield its link; close it (gracefully) on exit.

        Raises KernelDied if the kernel exits before its ``welcome``, KernelRefused
        if it answers with an error, trio.TooSlowError after ``handshake_timeout``.
        """
        parent_end, child_end = socket.socketpair()
        argv = [sys.executable, "-m", "seqkernel", "--fd", str(child_end.fileno())]
        if session_dir is not None:
            argv += ["--session-dir", str(session_dir)]
        if log_level is not None:
            argv += ["--log-level", log_level]
        if instrument is not None:
            argv += ["--instrument", instrument]
        with child_end:
            process = await trio.lowlevel.open_process(
                argv, pass_fds=[child_end.fileno()], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=stderr, cwd=cwd, env=env, start_new_session=True,
            )
        link = cls(process, trio.SocketStream(trio.socket.from_stdlib_socket(parent_end)))
        try:
            with trio.fail_after(handshake_timeout):
                await link._greet(client)
            async with trio.open_nursery() as nursery:
                nursery.start_soon(link._receive)
                try:
                    yield link
                finally:
                    with trio.CancelScope(shield=True):
                        await link.aclose()
        finally:
            with trio.CancelScope(shield=True):
                await link._stream.aclose()
                if process.returncode is None:
                    process.kill()
                    await process.wait()

    # -- talking to the kernel ---------------------------------------------------------------

    async def command(self, line: str) -> protocol.Reply:
        """Send one command line and return its reply (``reply.ok`` says whether it worked)."""
        request_id = self._next_id
        self._next_id += 1
        pending = self._pending[request_id] = _Pending()
        try:
            await self.send(protocol.Cmd(id=request_id, line=line))
            await pending.done.wait()
        finally:
            self._pending.pop(request_id, None)
        if pending.reply is None:
            raise KernelDied(self.returncode)
        return pending.reply

    async def send(self, message: protocol.Message) -> None:
        await self.send_raw(protocol.encode(message))

    async def send_raw(self, data: bytes) -> None:
        """Send bytes as they are (tests use it to send what no client should)."""
        if self._ended.is_set():
            raise KernelDied(self.returncode)
        async with self._send_lock:
            try:
                await self._stream.send_all(data)
            except (trio.BrokenResourceError, trio.ClosedResourceError):
                await self._ended.wait()
                raise KernelDied(self.returncode) from None

    async def wait_for(self, predicate: Callable[[protocol.Message], bool]) -> list[protocol.Message]:
        """Take messages from ``messages`` up to the first that matches; return them all, in order."""
        taken = []
        while True:
            try:
                try:
                    message = self.messages.receive_nowait()  # no checkpoint per message in a burst
                except trio.WouldBlock:
                    message = await self.messages.receive()
            except trio.EndOfChannel:
                raise KernelDied(self.returncode) from None
            taken.append(message)
            if predicate(message):
                return taken

    async def wait_exit(self) -> int:
        """Wait until the kernel has exited; return its exit status."""
        await self._ended.wait()
        return self.returncode

    async def aclose(self, grace: float = 5.0) -> int:
        """Close the connection, which tells the kernel to stop; kill it if it takes longer than ``grace``."""
        await self._stream.aclose()
        with trio.move_on_after(grace):
            return await self.wait_exit()
        self.process.kill()
        return await self.wait_exit()

    # -- receiving ---------------------------------------------------------------------------

    async def _greet(self, client: str) -> None:
        """Send ``hello`` and wait for ``welcome``; KernelRefused or KernelDied otherwise."""
        await self.send(protocol.Hello(version=protocol.VERSION, client=client))
        while self.welcome is None:
            batch = await self._receive_batch()
            if batch is None:
                self.returncode = await self.process.wait()
                raise KernelDied(self.returncode)
            first, *self._early = batch
            if not isinstance(first, protocol.Welcome):
                raise KernelRefused(getattr(first, "error", None) or f"unexpected {first.type!r} message")
            self.welcome = first

    async def _receive(self) -> None:
        try:
            batch = self._early
            while batch is not None:
                for message in batch:
                    self._dispatch(message)
                batch = await self._receive_batch()
        finally:
            with trio.CancelScope(shield=True):
                self.returncode = await self.process.wait()
            for pending in self._pending.values():
                pending.done.set()
            self._incoming.close()
            self._ended.set()

    def _dispatch(self, message: protocol.Message) -> None:
        if isinstance(message, protocol.Reply) and message.id in self._pending:
            pending = self._pending[message.id]
            pending.reply = message
            pending.done.set()
        else:
            self._incoming.send_nowait(message)

    async def _receive_batch(self) -> list[protocol.Message] | None:
        """The messages in the next chunk of bytes (bad input from the kernel as Error messages); None at the end."""
        try:
            data = await self._stream.receive_some(RECEIVE_SIZE)
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            return None
        if not data:
            return None
        return [
            protocol.Error(error=f"from the kernel: {item}", fatal=False) if isinstance(item, protocol.ProtocolError) else item
            for item in self._decoder.feed_with_errors(data)
        ]
