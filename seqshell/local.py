"""The shell's own kernel process (local and pipe modes).

The shell spawns the kernel, forwards its events, and watches it: a kernel that
dies unexpectedly (a step calling ``os._exit(3)``, a kill) is reported at once
with its exit status, commands waiting on it fail with that message, and the
shell stays usable; ``init`` starts a new kernel, ``clear`` stops it.
"""
from __future__ import annotations

import time

import structlog
import trio

from seqkernel.link import KernelLink, KernelExited
from seqshell.outcome import Outcome

log = structlog.get_logger("seqshell.local")


def notice(message: str, level: str = "ERROR") -> dict:
    return {"kind": "notice", "level": level, "message": message, "ts": time.time()}


class LocalKernel:
    """One kernel process at a time, owned by this shell."""

    description = "local kernel"

    def __init__(self, kernel_log: str | None = None) -> None:
        self.kernel_log = kernel_log
        self.on_event = None  # async callable(event dict), set by the owner before start
        self._nursery: trio.Nursery | None = None
        self._link: KernelLink | None = None
        self._scope: trio.CancelScope | None = None
        self._stopped: trio.Event | None = None

    async def start(self, nursery: trio.Nursery) -> Outcome:
        """Spawn a kernel; returns once it has answered the handshake."""
        self._nursery = nursery
        try:
            await nursery.start(self._own_kernel)
        except (OSError, KernelExited) as exc:
            return Outcome.failure(f"the kernel did not start: {exc}")
        return Outcome(ok=True, output=f"kernel started (pid {self._link.pid})")

    async def _own_kernel(self, task_status=trio.TASK_STATUS_IGNORED) -> None:
        """Run one kernel: forward its events until it ends, then say how it ended."""
        stopped = self._stopped = trio.Event()
        with trio.CancelScope() as scope:
            self._scope = scope
            async with KernelLink.spawn(kernel_log=self.kernel_log) as link:
                self._link = link
                await self.on_event({"kind": "tree", "action": "restored", "ts": time.time(),
                                     "snapshot": link.welcome.get("snapshot", {})})
                task_status.started()
                try:
                    async for event in link.events():
                        await self.on_event(event)
                finally:
                    self._link = None
                    expected = scope.cancel_called
                status = await link.wait()
            if not expected:
                log.error("kernel died", status=status)
                await self.on_event(notice(
                    f"the kernel died (exit status {status}); everything it had loaded is lost. "
                    "Type init to start a new one."))
        stopped.set()

    async def command(self, line: str) -> Outcome:
        link = self._link
        if link is None:
            return Outcome.failure("no kernel is running: type init to start one")
        try:
            return Outcome.from_reply(await link.command(line))
        except KernelExited as exc:
            return Outcome.failure(f"the kernel died during the command ({exc})")

    async def stop(self) -> Outcome:
        """Stop the kernel (``clear``)."""
        if self._link is None:
            return Outcome(ok=True, output="no kernel was running")
        pid = self._link.pid
        self._scope.cancel()
        await self._stopped.wait()
        return Outcome(ok=True, output=f"kernel stopped (pid {pid})")

    async def restart(self) -> Outcome:
        """Start a new kernel, stopping the running one first (``init``)."""
        stopped = await self.stop()
        return stopped.then(await self.start(self._nursery))

    async def close(self) -> None:
        """End of the shell: let the kernel finish sending what it has, then stop it."""
        if self._link is not None:
            await self._link.aclose()
            await self._stopped.wait()
