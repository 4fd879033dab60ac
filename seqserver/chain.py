"""The server's child: one ``seqshell --pipe``, which runs the kernel.

:class:`ShellChain` starts the shell, relays command lines to it and hands every
event it forwards to the server. When the shell dies, or its kernel (the shell
then says so in a ``notice`` and exits), the chain tells every client, starts a
fresh shell and kernel, and gives them back the operators' loaded work (see :mod:`seqserver.worklog`) before taking
commands again. The shell runs in a process group of its own, so ending the
group ends whatever it started; the kernel, in a session of its own, is ended
through :mod:`seqserver.reaper` if it outlives its shell. No process outlives
the server.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from functools import partial

import structlog
import trio

import protocol
from seqclient.link import Link, LinkClosed, describe_exit
from seqserver.reaper import end_orphans
from seqserver.worklog import FLAG_COMMANDS, WorkLog

log = structlog.get_logger("seqserver.chain")

SHELL_COMMAND = (sys.executable, "-m", "seqshell", "--pipe")
HANDSHAKE_TIMEOUT = 30.0  # seconds for a fresh shell (and its kernel) to answer hello
STOP_GRACE = 3.0  # seconds between SIGTERM and SIGKILL when ending a chain
RESTART_DELAYS = (0.0, 0.5, 1.0, 2.0, 5.0)  # back-off after chains that die at once
STABLE_AFTER = 10.0  # a chain that lived this long resets the back-off
READY_TIMEOUT = 60.0  # seconds a command waits for a (re)starting chain before it is refused
TREE_TIMEOUT = 10.0  # seconds for a replayed load's tree to arrive before its flags are set

Publish = Callable[[list[protocol.Event]], None]  # events, in order: a burst at a time


async def end_process_group(process: trio.Process) -> None:
    """End the shell: its input closed first (it then stops its kernel), signals if it lingers.

    After each grace period the next step: SIGTERM, then SIGKILL, to the shell's
    whole process group. (Returns as soon as the shell has exited: trio cancels it then.)
    """
    await trio.aclose_forcefully(process.stdin)
    await trio.sleep(STOP_GRACE)
    _signal_group(process.pid, signal.SIGTERM)
    await trio.sleep(STOP_GRACE)
    _signal_group(process.pid, signal.SIGKILL)


def _signal_group(pgid: int, signum: int) -> None:
    try:
        os.killpg(pgid, signum)
    except ProcessLookupError:
        pass


class ShellChain:
    """The shell and kernel the server relays to, restarted with the loaded work whenever they die."""

    def __init__(self, publish: Publish, snapshot: protocol.Snapshot, argv=SHELL_COMMAND) -> None:
        self._publish = publish
        self._snapshot = snapshot
        self._argv = list(argv)
        self.worklog = WorkLog()
        self._link: Link | None = None
        self._link_ended = trio.Event()  # set when the server has let go of the running shell
        self._ready = trio.Event()
        self._flagged: list = []  # runtime flags to set again, by position in the tree
        self._restore_attempts = 0
        self._tree_changed = trio.Event()  # set (and replaced) at each tree event
        self._ending: str | None = None  # why the running chain is being ended, when the server ends it
        self._last_words: str | None = None  # the running shell's last error notice
        self._last_ending: str | None = None  # how the last chain ended, for commands that find none
        self.managed_pids: set[int] = set()  # shells started and not yet reaped (trio reaps them)

    async def command(self, line: str) -> protocol.Reply:
        """Relay one command line to the shell (waiting while a chain starts) and return its reply.

        A command that was sent to a shell which then died gets an ``ok: false``
        reply saying so; it is never sent twice. Whatever the shell answers is
        noted in the work log, even when the client that asked has left.
        """
        while True:
            if not self._ready.is_set():
                with trio.move_on_after(READY_TIMEOUT):
                    await self._ready.wait()
            if not self._ready.is_set():
                why = f" ({self._last_ending})" if self._last_ending else ""
                return protocol.Reply(id=0, ok=False, output="",
                                      error=f"no shell and kernel to run the command: none started in "
                                            f"{READY_TIMEOUT:g} s{why}")
            link, ended = self._link, self._link_ended
            try:
                return await link.command(line)
            except LinkClosed as exc:
                if exc.sent:
                    return protocol.Reply(id=0, ok=False, output="", error="the shell ended before answering; a "
                                          "fresh shell and kernel are being started")
                await ended.wait()  # not sent: to the next chain, once the server has let go of this one

    async def run(self) -> None:
        """Keep a chain running until cancelled, restarting (with back-off) each one that dies."""
        try:
            await self._keep_running()
        finally:
            with trio.CancelScope(shield=True):
                await end_orphans(STOP_GRACE)

    async def _keep_running(self) -> None:
        quick_deaths = 0
        while True:
            started_at = trio.current_time()
            ending, served = await self._run_once()
            self._last_ending = ending
            if served:
                # It died while serving: what the operators saw is the work to restore.
                self._flagged = self._snapshot.flagged_positions()
                self._restore_attempts = 0
            quick_deaths = 0 if trio.current_time() - started_at > STABLE_AFTER else quick_deaths + 1
            delay = RESTART_DELAYS[min(quick_deaths, len(RESTART_DELAYS)) - 1] if quick_deaths else 0.0
            later = f" in {delay:g} s" if delay else ""
            self._publish([protocol.notice(f"{ending}; restoring the loaded work into a fresh shell and kernel{later}", "ERROR")])
            await trio.sleep(delay)

    async def _run_once(self) -> tuple[str, bool]:
        """Start one chain, restore the work into it, serve until it dies.

        Returns how it ended, and whether it got as far as serving commands.
        """
        self._ending = self._last_words = None
        async with trio.open_nursery() as nursery:
            process = await nursery.start(
                partial(
                    trio.run_process,
                    self._argv,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    check=False,
                    start_new_session=True,
                    deliver_cancel=end_process_group,
                )
            )
            self.managed_pids.add(process.pid)
            link = Link(process.stdin, process.stdout, name="seqserver", peer="shell", trusted=True,
                        on_reply=self.worklog.record)
            try:
                with trio.fail_after(HANDSHAKE_TIMEOUT):
                    welcome = await link.greet(protocol.Hello(version=protocol.VERSION, client="seqserver"))
                nursery.start_soon(self._watch, link, process, nursery.cancel_scope)
                log.info("shell started", pid=process.pid, shell=welcome.server)
                self._publish(
                    [protocol.Event(kind="tree", ts=time.time(), action="restored", snapshot=welcome.snapshot)]
                )
                await self._restore(link)
            except (trio.TooSlowError, LinkClosed) as exc:
                log.error("the fresh shell did not start serving", error=repr(exc))
                self._ending = f"the fresh shell did not start serving ({exc!r})"
                nursery.cancel_scope.cancel()
            else:
                self._link = link
                self._ready.set()  # until the shell ends (with its kernel): _watch then closes the nursery
        self.managed_pids.discard(process.pid)  # reaped by trio by now
        served = self._ready.is_set()
        if served:
            self._ready = trio.Event()  # commands wait for the next chain
        self._link = None
        self._link_ended.set()
        self._link_ended = trio.Event()
        if self._ending is None and process.returncode and self._last_words:
            self._ending = self._last_words
        return self._ending or f"the shell ended ({describe_exit(process.returncode)})", served

    async def _from_shell(self, messages: list[protocol.Message]) -> None:
        """What the shell sends besides replies: events are published (a tree event also wakes a
        restore waiting for its nodes; an error notice is kept: a shell that exits says why in its
        last one); a protocol error the shell reports is logged."""
        events = []
        for message in messages:
            if message.type != "event":
                log.error("the shell reports a protocol error", error=message.error)
                continue
            events.append(message)
            kind = message.kind
            if kind == "tree":
                self._tree_changed.set()
                self._tree_changed = trio.Event()
            elif kind == "notice" and message.level == "ERROR":
                self._last_words = message.message
        self._publish(events)

    async def _watch(self, link: Link, process: trio.Process, cancel_scope: trio.CancelScope) -> None:
        """Follow the shell until its output ends, then make sure the whole group is gone."""
        await link.run(self._from_shell)
        with trio.move_on_after(STOP_GRACE):
            await process.wait()
        _signal_group(process.pid, signal.SIGKILL)
        # A kernel whose shell was killed outright is orphaned: ours to end.
        await end_orphans(STOP_GRACE, spare={process.pid})
        cancel_scope.cancel()

    async def _restore(self, link: Link) -> None:
        """Give a fresh chain the work the last one had: the settings and loading commands, then the flags.

        Work that kills two fresh chains in a row while being restored is dropped,
        with a notice naming it, so that the server serves again.
        """
        settings, lines, flagged = self.worklog.settings(), self.worklog.lines(), self._flagged
        if not settings and not lines and not flagged:
            return
        self._restore_attempts += 1
        if self._restore_attempts > 2:
            self._publish([protocol.notice("the loaded work killed the chain while being restored; not restored: "
                                           + "; ".join(settings + lines + [f"flags {f}" for _, f in flagged]),
                                           "ERROR")])
            self.worklog.forget()
            self._flagged = []
            return
        failures = []
        for line in settings + lines:
            reply = await link.command(line)
            if not reply.ok:
                failures.append(f"{line}: {reply.error}")
        # The shell may answer a load before it forwards the tree event: wait for the nodes to appear.
        with trio.move_on_after(TREE_TIMEOUT):
            while any(self._snapshot.sn_at(position) is None for position, _ in flagged):
                await self._tree_changed.wait()
        for position, flags in flagged:
            sn = self._snapshot.sn_at(position)
            for flag in flags:
                reply = await link.command(f"{FLAG_COMMANDS[flag]} {sn}") if sn is not None else None
                if reply is None or not reply.ok:
                    failures.append(f"{flag} flag at {position}: {reply.error if reply else 'no such node'}")
        self._flagged = []
        counts = [f"{len(settings)} setting(s)"] if settings else []
        counts.append(f"{len(lines)} loading command(s)")
        restored = f"restored {', '.join(counts)} and {sum(map(len, (f for _, f in flagged)))} flag(s)"
        if failures:
            self._publish([protocol.notice(f"{restored}; could not restore: " + "; ".join(failures), "ERROR")])
        else:
            self._publish([protocol.notice(restored, "INFO")])

