"""Ending what a dead shell leaves behind.

The kernel runs in a session of its own, so when its shell is killed outright
it is orphaned; a kernel stuck in a step that blocks its event loop would then
outlive the shell for as long as the step lasts. On Linux the server makes
itself a *child subreaper*: orphans of its descendants become its children, so
it can find them (in /proc), end them and reap them. Elsewhere this is a no-op
and the kernel ends on its own once it notices its shell has gone.

Being a subreaper also makes the server the parent of any process a script
leaves behind (``cmd &`` in a step); :func:`reap_exited_orphans` reaps those as
they exit, so no zombie piles up during a night. An orphan is signalled with its
process group: a kernel leads one, holding what its steps started, which may be
adopted only once the kernel itself has gone.
"""
from __future__ import annotations

import contextlib
import ctypes
import os
import pathlib
import signal
import sys
from collections.abc import Callable

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


def adopted_children(spare: set[int] = frozenset(), *, exited_only: bool = False) -> list[int]:
    """This process's children other than ``spare`` (on Linux; elsewhere none are known).

    With ``exited_only``, only those that have exited and wait to be reaped.
    """
    me, found = os.getpid(), []
    with contextlib.suppress(OSError):
        for entry in os.listdir("/proc"):
            if entry.isdigit() and int(entry) not in spare:
                with contextlib.suppress(OSError, ValueError, IndexError):
                    state, parent = pathlib.Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[:2]
                    if int(parent) == me and (state == "Z" or not exited_only):
                        found.append(int(entry))
    return found


async def reap_exited_orphans(managed: Callable[[], set[int]]) -> None:
    """Reap adopted processes as they exit (at each SIGCHLD); ``managed()`` names the ones trio reaps."""
    with trio.open_signal_receiver(signal.SIGCHLD) as exits:
        async for _ in exits:
            for pid in adopted_children(managed(), exited_only=True):
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(pid, os.WNOHANG)


async def end_orphans(grace: float, spare: set[int] = frozenset()) -> None:
    """SIGTERM every adopted orphan (and the group it leads), SIGKILL those still there after ``grace``
    seconds, reap them all."""
    orphans = adopted_children(spare)
    if not orphans:
        return
    log.warning("ending processes left behind by the shell", pids=orphans)
    for pid in orphans:
        _signal_with_group(pid, signal.SIGTERM)
    async with trio.open_nursery() as nursery:
        for pid in orphans:
            nursery.start_soon(_reap, pid, grace)


async def _reap(pid: int, grace: float) -> None:
    with trio.move_on_after(grace):
        await trio.to_thread.run_sync(_waitpid, pid, abandon_on_cancel=True)
        return
    _signal_with_group(pid, signal.SIGKILL)
    await trio.to_thread.run_sync(_waitpid, pid)


def _signal_with_group(pid: int, signum: int) -> None:
    """Signal ``pid``, and the process group it leads if it leads one."""
    for send in (os.kill, os.killpg):
        with contextlib.suppress(ProcessLookupError):
            send(pid, signum)


def _waitpid(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)
