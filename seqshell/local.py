"""The shell's own kernel process (local and pipe modes).

The shell spawns the kernel with :class:`seqkernel.link.KernelLink`, forwards its
events (and its watchdog's notices), and watches it: a kernel that dies
unexpectedly (a step calling ``os._exit(3)``, a signal) is reported at once with
its exit status and the steps it was running (each gets an ``error`` event and
the run ends in error, as the kernel would have said), commands waiting on it
fail, and the shell stays usable; ``init`` starts a new kernel, ``clear`` stops it.
(Under a server the shell ends instead: see :func:`seqshell.tool.serve_pipe`.)
"""
from __future__ import annotations

import shlex
import time

import structlog
import trio

import protocol
from seqkernel.link import KernelDied, KernelLink, KernelRefused
from protocol import Outcome

log = structlog.get_logger("seqshell.local")


class LocalKernel:
    """One kernel process at a time, owned by this shell."""

    def __init__(self, session_dir: str | None = None, log_level: str | None = None,
                 instrument: str | None = None, simulation: bool = False) -> None:
        self.session_dir = session_dir
        self.log_level = log_level
        self.instrument = instrument  # the kernel checks OBs against this instrument's package
        self.simulation = simulation  # its scripts simulate (seq.lib.simulating())
        self.on_events = None  # async callable(a burst of protocol.Event, in order), set by the owner
        self.on_death = None  # async callable(KernelLink.death()) for a kernel that died unasked; default: a notice
        self._nursery: trio.Nursery | None = None
        self._link: KernelLink | None = None
        self._stopping = False
        self._ended: trio.Event | None = None

    async def start(self, nursery: trio.Nursery) -> Outcome:
        """Spawn a kernel; returns once it has answered the handshake."""
        self._nursery = nursery
        try:
            pid = await nursery.start(self._own_kernel)
        except (OSError, KernelDied, KernelRefused) as exc:
            log.error("kernel did not start", error=str(exc))
            return Outcome.failure(f"the kernel did not start: {exc}")
        return Outcome(ok=True, output=f"kernel started (pid {pid})")

    async def _own_kernel(self, task_status=trio.TASK_STATUS_IGNORED) -> None:
        """Run one kernel: forward its events until it ends, then say how it ended if nobody asked it to."""
        self._stopping = False
        self._ended = ended = trio.Event()
        try:
            async with KernelLink.spawn(session_dir=self.session_dir, log_level=self.log_level,
                                        instrument=self.instrument, simulation=self.simulation,
                                        client="seqshell",
                                        on_events=self._forward) as link:
                self._link = link
                log.info("kernel started", pid=link.process.pid)
                await self.on_events([protocol.Event(kind="tree", action="restored", ts=time.time(),
                                                     snapshot=link.welcome.snapshot)])
                task_status.started(link.process.pid)
                await link.wait_exit()
                self._link = None
                if not self._stopping:
                    death = link.death()
                    log.error("kernel died", death=death)
                    await self.on_events(link.death_events())
                    if self.on_death is not None:
                        await self.on_death(death)
                    else:
                        await self.on_events([protocol.notice(
                            f"{death}; what it had loaded is lost. Type init to start a new one.", "ERROR")])
        finally:
            self._link = None
            ended.set()

    async def _forward(self, messages: list[protocol.Message]) -> None:
        """A burst of what the kernel sent besides replies, handled before anything after it
        (so a command's reply comes after what its run printed). A protocol error the kernel
        reports is worth an operator's eye, as a notice."""
        for index, message in enumerate(messages):
            if message.type != "event":
                log.warning("message from the kernel", message=message.to_dict())
                messages[index] = protocol.notice(f"kernel: {message.error}")
        await self.on_events(messages)

    async def command(self, line: str) -> Outcome:
        link = self._link
        if link is None:
            return Outcome.failure("no kernel is running: type init to start one")
        try:
            reply = await link.command(line)
        except KernelDied as exc:
            return Outcome.failure(f"the kernel died during the command ({exc})")
        return Outcome.from_reply(reply)

    async def stop(self) -> Outcome:
        """Stop the kernel (``clear``)."""
        link = self._link
        if link is None:
            return Outcome(ok=True, output="no kernel was running")
        self._stopping = True
        await link.aclose()
        await self._ended.wait()
        return Outcome(ok=True, output=f"kernel stopped (pid {link.process.pid})")

    async def use_instrument(self, instrument: str | None) -> Outcome:
        """Check OBs against ``instrument``'s package from now on: in the running kernel at once,
        and in every kernel started later."""
        self.instrument = instrument
        if self._link is None:
            return Outcome(ok=True)
        return await self.command(shlex.join(["instrument", instrument or "-"]))

    async def restart(self) -> Outcome:
        """Start a new kernel, stopping the running one first (``init``)."""
        return (await self.stop()).then(await self.start(self._nursery))

    async def close(self) -> None:
        """End of the shell: stop the kernel once the events it already sent have been shown.

        A round trip first: what the kernel published before its reply is handled before it.
        """
        if self._link is not None:
            await self.command("modules")
        await self.stop()
