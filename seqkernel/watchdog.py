"""The parent's watch on its kernel: it says when the kernel stops answering, and when it answers again.

A step can stop a whole kernel: a ``time.sleep(60)`` in a coroutine blocks its
event loop, a C call that keeps the GIL stops every thread of it, and a
``SIGSTOP`` (or a debugger) stops the process. The kernel cannot report any of
these reliably, but its parent can: it reads the kernel's heartbeat in the
black box (:mod:`seqkernel.blackbox`) a few times a second, and once no beat
has come for ``stall_after`` seconds it sends a ``notice`` naming the steps
that are running, and whether the process is stopped. When the beats come
again, a second ``notice`` says for how long the kernel did not answer,
measured between the kernel's own last beat before and first beat after.
"""
from __future__ import annotations

import pathlib
import time
from collections.abc import Awaitable, Callable

import trio

import protocol
from seqkernel.blackbox import BlackBox, Reading

STALL_AFTER = 1.0  # seconds without a beat before the operators are told
LOOK_EVERY = 0.1  # seconds between two readings of the black box

Report = Callable[[list[protocol.Event]], Awaitable[None]]


class KernelWatchdog:
    """Reads one kernel's heartbeat and reports when it stops and starts again."""

    def __init__(self, black_box: BlackBox, pid: int, report: Report, *, stall_after: float = STALL_AFTER,
                 look_every: float = LOOK_EVERY) -> None:
        self.black_box = black_box
        self.pid = pid
        self.report = report
        self.stall_after = stall_after
        self.look_every = look_every

    async def run(self) -> None:
        """Watch until cancelled."""
        while True:
            stall = await self._next_stall()
            stopped = is_stopped(self.pid)
            await self.report([protocol.notice(self._stalled(stall, time.monotonic() - stall.beat_time, stopped))])
            recovery = await self._next_beat_after(stall)
            took = recovery.beat_time - stall.beat_time
            await self.report([protocol.notice(
                f"the kernel's event loop is running again after {took:.1f} s {'stopped' if stopped else 'blocked'}"
                f"{stall.activity()}", "INFO")])

    async def _next_stall(self) -> Reading:
        while True:
            await trio.sleep(self.look_every)
            reading = self.black_box.read()
            if reading.beats and time.monotonic() - reading.beat_time >= self.stall_after:
                return reading

    async def _next_beat_after(self, stall: Reading) -> Reading:
        while (reading := self.black_box.read()).beats == stall.beats:
            await trio.sleep(self.look_every)
        return reading

    @staticmethod
    def _stalled(stall: Reading, silent: float, stopped: bool) -> str:
        if stopped:
            return (f"the kernel has not answered for {silent:.1f} s: its process is stopped (SIGSTOP, or a "
                    f"debugger){stall.activity()}; it does nothing until it is continued (SIGCONT)")
        culprit = stall.activity() or (" while no step was running (perhaps a script's create_sequence building "
                                       "its nodes, or code a step left running in the background)")
        return (f"the kernel's event loop has been blocked for {silent:.1f} s{culprit}: commands, abort "
                "included, wait until it returns (a step that waits should await asyncio.sleep or run as "
                "ActionInThread)")


def is_stopped(pid: int) -> bool:
    """Whether the process is stopped by a signal or a debugger (Linux's /proc; elsewhere: not known, False)."""
    try:
        stat = pathlib.Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] in ("T", "t")
