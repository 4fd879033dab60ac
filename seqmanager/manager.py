"""The sequence manager's operations: bring observing modes up and down on the components.

Stateless: every operation reads the location service, decides with
:class:`seqmanager.modes.Observatory`, and acts through the components' own commands
(``loadscript``, ``unloadscript``, ``restartscript``). So two operators on two hosts
see the same state, and nothing goes stale when a host dies.

Starting sequencers is all or nothing: what was started is unloaded again when one
fails, and the error says which failed and why. While it starts them, a manager
claims (in the location service) the mode, its resources and the components it
chose, so that two managers never take one component nor start conflicting modes;
under its claims it looks again, and starts only what it planned on what it saw.
"""
from __future__ import annotations

import shlex
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import trio

import protocol
from seqclient import Connection, ConnectionClosed, Target, access, connect_to
from seqclient.config import Config
from seqclient.observatory import ObsMode, Sequencer
from seqlocation import SEQUENCER, Directory, Entry, NameTaken, check_obsmode, parse_sequencer
from seqlocation.errors import unwrapped
from seqlocation.names import check_subsystem
from seqmanager.modes import (
    CONFIGURED, NON_CONFIGURABLE, Assignment, ModeStatus, Observatory, ResourceUse, name_of, obsmode_claim,
    resource_claim,
)

#: Seconds a component may take to load a script (or unload one) before it counts as failed.
DEFAULT_TIMEOUT = 60.0
#: How often to look again when the directory changed between a plan and its claims.
CLAIM_ATTEMPTS = 5
#: Seconds to tell a component whose load timed out to give it up.
ABORT_TIMEOUT = 5.0
CLIENT = "seqtool sm"

T = TypeVar("T")


class ManagerError(Exception):
    """The operation was refused or failed, and changed nothing (or was undone): ``data`` says more."""

    def __init__(self, message: str, data: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.data = data or {}


class BadRequest(Exception):
    """The request itself cannot be carried out: an observing mode the configuration lacks, a bad name."""


@dataclass
class Report:
    """What an operation did: ``text`` for people, ``data`` for programs; ``changed`` False when
    there was nothing to do."""

    text: str
    data: dict[str, Any] = field(default_factory=dict)
    changed: bool = True


@dataclass(frozen=True)
class Step:
    """One component command of an operation and how it went."""

    sequencer: str
    component: str
    ok: bool
    text: str
    answered: bool = True  # False when the component gave no answer in time

    def to_dict(self) -> dict[str, Any]:
        return {"sequencer": self.sequencer, "component": self.component, "ok": self.ok, "text": self.text}


class SequenceManager:
    """Operations on ``directory`` for the observing modes of ``config``."""

    def __init__(self, directory: Directory, config: Config, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.directory = directory
        self.config = config
        self.timeout = timeout

    async def observatory(self, mine: Sequence[str] = ()) -> Observatory:
        """The directory now, judged with the configuration (``mine``: the caller's own claims)."""
        return Observatory(self.config, await self.directory.entries(), await self.directory.claims(), mine)

    # -- reading

    async def obsmodes(self) -> list[ModeStatus]:
        observatory = await self.observatory()
        return [observatory.status(mode) for _, mode in sorted(self.config.obsmodes.items())]

    async def resources(self) -> list[ResourceUse]:
        return (await self.observatory()).resources()

    # -- bringing modes up

    async def configure(self, obsmode: str) -> Report:
        """Start every sequencer of ``obsmode`` on idle components, the driving one first; all or nothing."""
        mode = self._mode(obsmode)
        return await self._bring_up(mode, mode.sequencers, f"configure {mode.name}")

    async def start(self, subsystem: str, obsmode: str, variation: str | None = None) -> Report:
        """Start one sequencer on an idle component (of its subsystem, else ESW)."""
        sequencer = Sequencer(check_subsystem(subsystem), variation)
        check_obsmode(obsmode)
        if obsmode in self.config.obsmodes:
            mode = self.config.obsmodes[obsmode]
        else:  # a sequencer of no configured mode: no resources to share
            mode = ObsMode(obsmode, (), (sequencer,))
        choice = self.config.scripts.get(sequencer.subsystem, {}).get(obsmode)
        if choice is None:
            raise BadRequest(f"no script of {subsystem} for {obsmode} in {self._where()} (scripts.{subsystem}.{obsmode})")
        if variation is not None and variation not in choice.variations:
            raise BadRequest(f"no variation {variation} of {subsystem}'s script for {obsmode} in {self._where()}")
        return await self._bring_up(mode, (sequencer,), f"start {name_of(obsmode, sequencer)}")

    async def _bring_up(self, mode: ObsMode, wanted: Sequence[Sequencer], purpose: str) -> Report:
        for _ in range(CLAIM_ATTEMPTS):
            status = (await self.observatory()).judge(mode, wanted)
            if status.status == CONFIGURED:
                return Report(f"{_what(mode, wanted)} already runs: {status.describe()}; nothing changed",
                              {"obsmode": mode.name, "running": status.to_dict()["running"]}, changed=False)
            if status.status == NON_CONFIGURABLE:
                raise ManagerError(f"cannot {purpose}: {status.describe()}", status.to_dict())
            # Taken in one order by every manager, so that two never each hold what the other waits for.
            claims = sorted([obsmode_claim(mode.name), *map(resource_claim, mode.resources),
                             *(a.component.name for a in status.plan)])
            try:
                async with self.directory.claiming(claims, f"seqtool sm {purpose}"):
                    again = (await self.observatory(mine=claims)).judge(mode, wanted)
                    if [a.key() for a in again.plan] == [a.key() for a in status.plan]:
                        return await self._start_all(mode, status.plan, purpose)
            except NameTaken:
                pass  # another manager got there first: look again
        raise ManagerError(f"cannot {purpose}: the directory kept changing while the components were chosen "
                           f"({CLAIM_ATTEMPTS} attempts); try again")

    async def _start_all(self, mode: ObsMode, plan: Sequence[Assignment], purpose: str) -> Report:
        """Start ``plan``: the mode's driving sequencer first, then the others at once; on a
        failure, unload again what was started."""
        driver = name_of(mode.name, mode.sequencers[0])
        first = [a for a in plan if a.sequencer == driver]
        started = await self._each(self._load, first)
        if all(step.ok for step in started):
            started += await self._each(self._load, [a for a in plan if a.sequencer != driver])
        failed = [step for step in started if not step.ok]
        if not failed:
            lines = [f"{step.sequencer} started on {step.component}" for step in started]
            return Report("\n".join(lines), {"obsmode": mode.name, "started": [s.to_dict() for s in started]})
        succeeded = {step.sequencer for step in started if step.ok}
        done = [a for a in plan if a.sequencer in succeeded]
        undone = await self._each(self._unload, done)
        problems = "; ".join(f"{step.sequencer} on {step.component} failed: {step.text}" for step in failed)
        rolled = [f"{step.sequencer} unloaded from {step.component}" if step.ok else
                  f"{step.sequencer} could not be unloaded from {step.component}: {step.text}" for step in undone]
        message = f"cannot {purpose}: {problems}" + (f" (rolled back: {'; '.join(rolled)})" if rolled else "")
        raise ManagerError(message, {"obsmode": mode.name, "failed": [s.to_dict() for s in failed],
                                     "rolled_back": [s.to_dict() for s in undone]})

    # -- bringing modes down

    async def restart(self, subsystem: str, obsmode: str, variation: str | None = None) -> Report:
        """Unload a running sequencer's script and load it again (``restartscript`` on its component)."""
        name = name_of(check_obsmode(obsmode), Sequencer(check_subsystem(subsystem), variation))
        entry = (await self.observatory()).sequencers.get(name)
        if entry is None:
            raise ManagerError(f"{name} is not running: nothing to restart (seqtool sm start {subsystem} {obsmode})")
        step = await self._command(entry, name, "restartscript")
        if not step.ok:
            raise ManagerError(f"cannot restart {name} on {step.component}: {step.text}", step.to_dict())
        return Report(f"{name} restarted on {step.component}", step.to_dict())

    async def shutdown(self, obsmode: str | None = None, subsystem: str | None = None) -> Report:
        """Unload the sequencers of ``obsmode``, or of ``subsystem``, or (neither) all; the components stay.
        Each mode's driving sequencer goes first, so it stops driving before the others go."""
        if obsmode is not None:
            check_obsmode(obsmode)
        if subsystem is not None:
            check_subsystem(subsystem)
        observatory = await self.observatory()
        chosen = [entry for name, entry in sorted(observatory.sequencers.items())
                  if obsmode in (None, parse_sequencer(name).obsmode)
                  and subsystem in (None, parse_sequencer(name).subsystem)]
        which = f"of {obsmode}" if obsmode else f"of {subsystem}" if subsystem else "at all"
        if not chosen:
            return Report(f"no sequencer {which} is running; nothing changed", {"stopped": []}, changed=False)
        drivers = [entry for entry in chosen if self._drives(entry.name)]
        steps = await self._each(self._unload_entry, drivers)
        steps += await self._each(self._unload_entry, [entry for entry in chosen if entry not in drivers])
        lines = [f"{s.sequencer} unloaded from {s.component}" if s.ok else
                 f"{s.sequencer} could not be unloaded from {s.component}: {s.text}" for s in steps]
        data = {"stopped": [s.to_dict() for s in steps]}
        if not all(s.ok for s in steps):
            raise ManagerError("\n".join(lines), data)
        return Report("\n".join(lines), data)

    def _drives(self, sequencer: str) -> bool:
        """Whether ``sequencer`` is the driving one of its mode (the first the configuration names)."""
        name = parse_sequencer(sequencer)
        mode = self.config.obsmodes.get(name.obsmode)
        return mode is not None and name_of(mode.name, mode.sequencers[0]) == sequencer

    # -- talking to components

    async def _load(self, assignment: Assignment) -> Step:
        words = ["loadscript", assignment.subsystem, parse_sequencer(assignment.sequencer).obsmode]
        step = await self._command(assignment.component, assignment.sequencer, shlex.join(
            words + ([assignment.variation] if assignment.variation else [])))
        if not step.answered:
            await self._give_up_load(assignment.component)
        return step

    async def _unload(self, assignment: Assignment) -> Step:
        return await self._command(assignment.component, assignment.sequencer, "unloadscript")

    async def _unload_entry(self, sequencer: Entry) -> Step:
        return await self._command(sequencer, sequencer.name, "unloadscript")

    async def _give_up_load(self, component: Entry) -> None:
        """A load that did not answer in time: ask the component to abort it (it then unregisters the sequencer)."""
        with trio.move_on_after(ABORT_TIMEOUT):
            try:
                async with self._connected(component) as connection:
                    await connection.command("abort")
            except (OSError, ConnectionClosed):
                pass

    async def _command(self, entry: Entry, sequencer: str, line: str) -> Step:
        """``line`` on the server of ``entry`` (a component, or a sequencer: the same server)."""
        component = (entry.component or entry.name) if entry.kind == SEQUENCER else entry.name
        try:
            with trio.fail_after(self.timeout):
                async with self._connected(entry) as connection:
                    reply = await connection.command(line)
        except trio.TooSlowError:
            return Step(sequencer, component, False, f"no answer to {line} within {self.timeout:g} s", answered=False)
        except (OSError, ConnectionClosed) as exc:
            return Step(sequencer, component, False, f"{entry.name} at {entry.address} could not be reached or was "
                        f"lost: {exc}")
        return Step(sequencer, component, reply.ok, _first_line(reply))

    @asynccontextmanager
    async def _connected(self, entry: Entry) -> AsyncIterator[Connection]:
        target = Target(entry.host, entry.port, entry.name, entry.tls)
        with unwrapped():  # what the block raises, not wrapped in a group by the connection's nursery
            async with connect_to(target, client=CLIENT, token=access.explicit_token()) as connection:
                yield connection

    @staticmethod
    async def _each(operation: Callable[[T], Awaitable[Step]], items: Sequence[T]) -> list[Step]:
        """``operation`` on every item at once; the steps in the order of ``items``."""
        steps: list[Step | None] = [None] * len(items)

        async def one(index: int) -> None:
            steps[index] = await operation(items[index])

        async with trio.open_nursery() as nursery:
            for index in range(len(items)):
                nursery.start_soon(one, index)
        return [step for step in steps if step is not None]

    def _mode(self, obsmode: str) -> ObsMode:
        check_obsmode(obsmode)
        if obsmode not in self.config.obsmodes:
            known = ", ".join(sorted(self.config.obsmodes)) or "none"
            raise BadRequest(f"no observing mode {obsmode} in {self._where()} (its observing modes: {known})")
        return self.config.obsmodes[obsmode]

    def _where(self) -> str:
        return f"the configuration file {self.config.path}" if self.config.path else "the configuration (no file given)"


def _what(mode: ObsMode, wanted: Sequence[Sequencer]) -> str:
    return mode.name if len(wanted) == len(mode.sequencers) else ", ".join(name_of(mode.name, s) for s in wanted)


def _first_line(reply: protocol.Reply) -> str:
    """What a component said: the first line of its reply (or of its error)."""
    text = reply.output if reply.ok else reply.error or "failed"
    return text.splitlines()[0] if text else ""
