"""Ending what a dead shell leaves behind.

The kernel runs in a session of its own, so when its shell is killed outright
it is orphaned; a kernel stuck in a step that blocks its event loop would then
outlive the shell for as long as the step lasts. On Linux the server makes
itself a *child subreaper*: orphans of its descendants become its children, so
it can find them (in /proc), end them and reap them. Elsewhere this is a no-op
and the kernel ends on its own once it notices its shell has gone.
"""
from __future__ import annotations

import contextlib
import ctypes
import os
import pathlib
import signal
import sys

import structlog
import trio

log = structlog.get_logger("seqserver.reaper")

PR_SET_CHILD_SUBREAPER = 36


def become_subreaper() -> bool:
    """Adopt the orphans of this process's descendants; True when the system supports it."""
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0


def adopted_children(spare: set[int] = frozenset()) -> list[int]:
    """This process's children other than ``spare`` (on Linux; elsewhere none are known)."""
    me, found = os.getpid(), []
    with contextlib.suppress(OSError):
        for entry in os.listdir("/proc"):
            if entry.isdigit() and int(entry) not in spare:
                with contextlib.suppress(OSError, ValueError, IndexError):
                    stat = pathlib.Path(f"/proc/{entry}/stat").read_text()
                    if int(stat.rsplit(")", 1)[1].split()[1]) == me:
                        found.append(int(entry))
    return found


async def end_orphans(grace: float, spare: set[int] = frozenset()) -> None:
    """SIGTERM every adopted orphan, SIGKILL those still there after ``grace`` seconds, reap them all."""
    orphans = adopted_children(spare)
    if not orphans:
        return
    log.warning("ending processes left behind by the shell", pids=orphans)
    for pid in orphans:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    async with trio.open_nursery() as nursery:
        for pid in orphans:
            nursery.start_soon(_reap, pid, grace)


async def _reap(pid: int, grace: float) -> None:
    with trio.move_on_after(grace):
        await trio.to_thread.run_sync(_waitpid, pid, abandon_on_cancel=True)
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    await trio.to_thread.run_sync(_waitpid, pid)


def _waitpid(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)
