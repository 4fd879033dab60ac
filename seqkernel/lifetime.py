"""How long a kernel, and what its steps start, may live: no longer than the process that owns them.

- A kernel dies with its parent (Linux's ``PR_SET_PDEATHSIG``, with SIGKILL):
  a kernel whose shell was killed outright would otherwise live on, unseen, for
  as long as a step blocks its event loop (closing its socket tells it only
  once the loop turns). Linux takes "the parent" to be the *thread* that forked
  the kernel, so :class:`KernelProcess` forks it from the calling thread, the
  one that runs trio for the parent's whole life. (``trio.lowlevel.open_process``
  forks in a worker thread, which ends after 10 s idle: the kernel would die
  with it.)
- What a kernel's steps start (``subprocess.Popen(["sleep", "1000"])``, a shell's
  ``cmd &``) inherits the kernel's process group, of which the kernel is the
  leader. Once the kernel has ended, however it ended, its parent ends the group
  (:func:`end_process_group`): SIGTERM, then SIGKILL for whatever is left after
  a grace period. A parent killed outright (kill -9) cannot, and takes the kernel
  with it: so the kernel also leaves a keeper behind, a process forked before the
  kernel starts anything, that waits for the kernel's end and then ends the
  group the same way (:func:`group_kept`).

Outside Linux the kernel only ends when it notices its socket closed.
"""
from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from typing import NoReturn

import trio

PR_SET_PDEATHSIG = 1
PR_SET_NAME = 15
GROUP_GRACE = 2.0  # seconds for what a kernel's steps started to end after SIGTERM, before SIGKILL
LOOK_EVERY = 0.05  # seconds between two looks at whether a group has ended


def die_with_parent() -> None:
    """Have this process killed when the thread that forked it ends (Linux; elsewhere nothing)."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


@contextlib.contextmanager
def group_kept(grace: float = GROUP_GRACE) -> Iterator[None]:
    """While the block runs, keep a keeper that ends this process's group once this process has
    ended, however it ended (Linux; elsewhere, or when this process leads no group of its own, nothing).

    Entered before the kernel starts a thread: the keeper is a plain copy of the process, which
    waits on a pidfd of the kernel and touches nothing of it, then ends the group as the kernel's
    parent would (:func:`end_process_group`). It leaves the group at once (a session of its own),
    so that it is not among what it ends, nor keeps the group from being empty. A block that
    returns or raises dismisses the keeper: the kernel's parent is alive to end the group itself
    (a parent killed outright kills the kernel, which then never leaves the block).
    """
    group = os.getpid()
    if not sys.platform.startswith("linux") or os.getpgid(0) != group:
        yield
        return
    kernel = os.pidfd_open(group)
    keeper = os.fork()
    if not keeper:
        _keep(kernel, group, grace)
    os.close(kernel)
    try:
        yield
    finally:
        with contextlib.suppress(ProcessLookupError, ChildProcessError):  # (a step's os.wait() may have reaped it)
            os.kill(keeper, signal.SIGKILL)
            os.waitpid(keeper, 0)


def _keep(kernel: int, group: int, grace: float) -> NoReturn:
    """(the keeper) Leave the kernel's group and files, wait for the kernel's end, end its group."""
    try:
        os.setsid()
        ctypes.CDLL(None).prctl(PR_SET_NAME, b"seqkernel-keep", 0, 0, 0)  # what ps and top show
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        os.closerange(3, kernel)  # the kernel's socket and the rest: its peers must see them close with it
        os.closerange(kernel + 1, os.sysconf("SC_OPEN_MAX"))
        trio.run(_end_group_after, kernel, group, grace)
    finally:
        os._exit(0)


async def _end_group_after(kernel: int, group: int, grace: float) -> None:
    """(the keeper) Once the kernel whose pidfd is ``kernel`` has ended, end its group."""
    await trio.lowlevel.wait_readable(kernel)
    await end_process_group(group, grace)


class KernelProcess:
    """A child process forked by the calling thread (see above), awaited without a thread of its own."""

    def __init__(self, argv: list[str], **options) -> None:
        self._popen = subprocess.Popen(argv, **options)
        self.pid = self._popen.pid
        self._exited = _exit_descriptor(self.pid)
        self._waiting = trio.Lock()

    @property
    def returncode(self) -> int | None:
        return self._popen.returncode

    def kill(self) -> None:
        self._popen.kill()

    async def wait(self) -> int:
        """Wait until the process has exited (reaping it); its exit status."""
        async with self._waiting:
            while self._popen.poll() is None:
                if self._exited is None:
                    await trio.to_thread.run_sync(self._popen.wait, abandon_on_cancel=True)
                else:
                    await trio.lowlevel.wait_readable(self._exited)
            if self._exited is not None:
                os.close(self._exited)
                self._exited = None
        return self._popen.returncode


def _exit_descriptor(pid: int) -> int | None:
    """A descriptor readable once ``pid`` has exited (Linux's pidfd), or None where there is none."""
    with contextlib.suppress(AttributeError, OSError):
        return os.pidfd_open(pid)
    return None


async def end_process_group(pgid: int, grace: float = GROUP_GRACE) -> None:
    """End every process of a group whose leader has ended: SIGTERM, SIGKILL after ``grace`` seconds."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGTERM)
        with trio.move_on_after(grace):
            while True:  # no event tells when a group is empty: look
                await trio.sleep(LOOK_EVERY)
                os.killpg(pgid, 0)
        os.killpg(pgid, signal.SIGKILL)
