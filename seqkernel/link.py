"""The parent's side of a kernel: spawn it, greet it, send commands, follow its events.

Used by the shell to own its kernel, by tests and by the benchmarks::

    async with KernelLink.spawn(session_dir=path) as kernel:
        reply = await kernel.command("load seq.samples.a")
        await kernel.command("run")
        seen = await kernel.wait_for(lambda m: m.type == "event" and m.kind == "run" and m.status != "running")

The kernel is started as ``python -m seqkernel --fd N`` on one end of a
socketpair, in a session of its own (a Ctrl-C at the parent's terminal is the
parent's to interpret), and spoken to through a :class:`seqclient.link.Link`.
It shares its black box with the link (:mod:`seqkernel.blackbox`): a watchdog
(:mod:`seqkernel.watchdog`) reports through ``on_events`` when the kernel stops
answering, and once it has ended, :meth:`KernelLink.death` says how and what
it was running. The kernel dies with the link's thread, and what its steps
started ends with it (:mod:`seqkernel.lifetime`).
Replies are matched to commands by id, so commands may be sent from several
tasks at once. Everything else the kernel sends (events, protocol errors) goes,
in order and a burst at a time, to ``on_events`` when the spawner gives one
(the shell does: its handling of the events before a reply is done before the
reply is seen), else to ``kernel.messages``, which is unbounded (the kernel
itself bounds what it queues): drain it. When the kernel exits or dies, pending
and later commands raise :class:`KernelDied` with its exit status, ``messages``
ends, and :meth:`wait_exit` returns the status.
"""
from __future__ import annotations

import math
import os
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager

import trio

import protocol
from seqclient.link import Link, LinkClosed, LinkRefused, describe_exit
from seqkernel.blackbox import BlackBox
from seqkernel.lifetime import KernelProcess, end_process_group
from seqkernel.watchdog import KernelWatchdog

OnEvents = Callable[[list[protocol.Message]], Awaitable[None]]


class KernelDied(Exception):
    """The kernel process ended; ``returncode`` is its exit status (negative: killed by that signal)."""

    def __init__(self, returncode: int | None) -> None:
        super().__init__(f"the kernel ended: {describe_exit(returncode)}")
        self.returncode = returncode


class KernelRefused(Exception):
    """The kernel answered ``hello`` with an error."""


class KernelLink:
    """A running kernel process and the protocol connection to it."""

    def __init__(self, process: KernelProcess, stream: trio.SocketStream, client: str, black_box: BlackBox,
                 on_events: OnEvents | None = None) -> None:
        self.process = process
        self.returncode: int | None = None
        self.black_box = black_box
        self.link = Link(stream, stream, name=client, peer="kernel", trusted=True)
        self._stream = stream
        self._incoming, self.messages = trio.open_memory_channel(math.inf)
        self._on_events = on_events or self._queue
        self._watchdog = KernelWatchdog(black_box, process.pid, self._on_events)
        self._ended = trio.Event()

    @property
    def welcome(self) -> protocol.Welcome | None:
        return self.link.welcome

    def death(self) -> str:
        """How the kernel ended, and what it was running then, once it has ended: ``the kernel died
        (killed by SIGSEGV) while running step 'expose' (sn 4)``."""
        return f"the kernel died ({describe_exit(self.returncode)}){self.black_box.read().activity()}"

    def death_events(self) -> list[protocol.Event]:
        """What the kernel, once dead, could not say itself: each step it was running failed (an
        ``error`` event: ``KernelDied: killed by SIGSEGV``), and so did the run it was in, if any
        (paused between two steps included)."""
        reading, now = self.black_box.read(), time.time()
        failed = [protocol.Event(kind="error", ts=now, sn=sn, id=None, name=name, traceback="", file=None,
                                 line=None, exception=f"KernelDied: {describe_exit(self.returncode)}")
                  for sn, name in reading.running]
        ended = [protocol.Event(kind="run", ts=now, status="error")] if failed or reading.in_run else []
        return [*failed, *ended]

    @classmethod
    @asynccontextmanager
    async def spawn(
        cls,
        *,
        session_dir: str | None = None,
        log_level: str | None = None,
        instrument: str | None = None,
        simulation: bool = False,
        client: str = "seqkernel.link",
        on_events: OnEvents | None = None,
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
        black_box, black_box_fd = BlackBox.create()
        argv = [sys.executable, "-m", "seqkernel", "--fd", str(child_end.fileno()),
                "--black-box", str(black_box_fd), "--die-with-parent"]
        if session_dir is not None:
            argv += ["--session-dir", str(session_dir)]
        if log_level is not None:
            argv += ["--log-level", log_level]
        if instrument is not None:
            argv += ["--instrument", instrument]
        if simulation:
            argv.append("--simulation")
        try:
            process = KernelProcess(
                argv, pass_fds=[child_end.fileno(), black_box_fd], stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=stderr, cwd=cwd, env=env, start_new_session=True,
            )
        finally:
            child_end.close()
            os.close(black_box_fd)
        stream = trio.SocketStream(trio.socket.from_stdlib_socket(parent_end))
        kernel = cls(process, stream, client, black_box, on_events)
        try:
            with trio.fail_after(handshake_timeout):
                await kernel._greet(client)
            async with trio.open_nursery() as nursery:
                nursery.start_soon(kernel._receive)
                try:
                    yield kernel
                finally:
                    with trio.CancelScope(shield=True):
                        await kernel.aclose()
        finally:
            with trio.CancelScope(shield=True):
                await kernel._stream.aclose()
                if process.returncode is None:
                    process.kill()
                    await process.wait()
                await end_process_group(process.pid)  # what its steps started, and left running
                black_box.close()

    # -- talking to the kernel ---------------------------------------------------------------

    async def command(self, line: str) -> protocol.Reply:
        """Send one command line and return its reply (``reply.ok`` says whether it worked)."""
        try:
            return await self.link.command(line)
        except LinkClosed:
            await self._ended.wait()
            raise KernelDied(self.returncode) from None

    async def send(self, message: protocol.Message) -> None:
        await self.send_raw(protocol.encode(message))

    async def send_raw(self, data: bytes) -> None:
        """Send bytes as they are (tests use it to send what no client should)."""
        try:
            await self.link.send_raw(data)
        except LinkClosed:
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
        try:
            await self.link.greet(protocol.Hello(version=protocol.VERSION, client=client))
        except LinkRefused as exc:
            raise KernelRefused(str(exc)) from None
        except LinkClosed:
            self.returncode = await self.process.wait()
            raise KernelDied(self.returncode) from None

    async def _receive(self) -> None:
        """Take what the kernel sends, watching its heartbeat meanwhile, until it has gone."""
        try:
            async with trio.open_nursery() as nursery:
                nursery.start_soon(self._watchdog.run)
                await self.link.run(self._on_events)
                nursery.cancel_scope.cancel()
        finally:
            with trio.CancelScope(shield=True):
                self.returncode = await self.process.wait()
            self._incoming.close()
            self._ended.set()

    async def _queue(self, messages: list[protocol.Message]) -> None:
        for message in messages:
            self._incoming.send_nowait(message)

