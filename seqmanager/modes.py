"""The observing modes as the location service shows them, judged with the configuration.

Nothing here does I/O: an :class:`Observatory` is built from what the directory held
at one moment (its entries and claims) and the configuration's ``obsmodes``, and says
for each mode whether it is ``Configured`` (all its sequencers run), ``Configurable``
(and on which idle components it would start) or ``NonConfigurable`` (and why: a
conflict with a mode in use, or a subsystem without an idle component).

A sequencer starts on an idle component of its own subsystem, else on an idle ESW
component (ESW components run any subsystem's script). Components of their own
subsystem are given out first, so the ESW ones are kept for those that need them.
"""
from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from seqclient.config import Config
from seqclient.observatory import ObsMode, Sequencer
from seqlocation import COMPONENT, IDLE, SEQUENCER, Claim, Entry, parse_sequencer, sequencer_name

CONFIGURED = "Configured"
CONFIGURABLE = "Configurable"
NON_CONFIGURABLE = "NonConfigurable"

#: The subsystem whose idle components run any subsystem's sequencer.
FALLBACK = "ESW"

FREE = "free"
IN_USE = "in use"
BEING_TAKEN = "being taken"


def resource_claim(resource: str) -> str:
    """The claim a sequence manager takes on a resource while it starts a mode that uses it."""
    return f"resource:{resource}"


def obsmode_claim(obsmode: str) -> str:
    """The claim a sequence manager takes on an observing mode while it starts its sequencers."""
    return f"obsmode:{obsmode}"


def name_of(obsmode: str, sequencer: Sequencer) -> str:
    """The sequencer's registered name: ``IRIS@IRIS_ifsonly``, ``IRIS@IRIS_both.IMAGER``."""
    return sequencer_name(sequencer.subsystem, obsmode, sequencer.variation).text


@dataclass(frozen=True)
class Assignment:
    """A sequencer of a mode and the component it runs on (or would be started on)."""

    sequencer: str
    subsystem: str
    variation: str | None
    component: Entry

    def describe(self) -> str:
        return f"{self.sequencer} on {self.component.name}"

    def key(self) -> tuple[str, str, str]:
        """What must not change between a plan and its execution: which registration of which component."""
        return self.sequencer, self.component.name, self.component.instance

    def to_dict(self) -> dict[str, Any]:
        return {"sequencer": self.sequencer, "component": self.component.name, "address": self.component.address}


@dataclass(frozen=True)
class ModeStatus:
    """One observing mode, judged: ``running`` are its sequencers in the directory, ``plan`` where
    the others would start (when Configurable), ``reasons`` why it cannot be configured."""

    obsmode: str
    status: str
    reasons: tuple[str, ...] = ()
    running: tuple[Assignment, ...] = ()
    plan: tuple[Assignment, ...] = ()

    def row(self) -> list[str]:
        """The columns ``seqtool sm obsmodes`` shows."""
        return [self.obsmode, self.status, self.describe()]

    def describe(self) -> str:
        """The explanation shown beside the status."""
        if self.status == CONFIGURED:
            return ", ".join(a.describe() for a in self.running)
        if self.status == NON_CONFIGURABLE:
            return "; ".join(self.reasons)
        started = "would start " + ", ".join(a.describe() for a in self.plan)
        running = f" (running: {', '.join(a.describe() for a in self.running)})" if self.running else ""
        return started + running

    def to_dict(self) -> dict[str, Any]:
        return {"obsmode": self.obsmode, "status": self.status, "reasons": list(self.reasons),
                "running": [a.to_dict() for a in self.running], "plan": [a.to_dict() for a in self.plan]}


@dataclass(frozen=True)
class ResourceUse:
    """A resource of the configuration: free, in use by running modes, or being taken by a sequence manager."""

    resource: str
    state: str
    users: tuple[str, ...] = ()  # the modes using it, or the purpose of the claim on it

    def row(self) -> list[str]:
        """The columns ``seqtool sm resources`` shows."""
        return [self.resource, self.state, self.describe()]

    def describe(self) -> str:
        if self.state == IN_USE:
            return "by " + ", ".join(self.users)
        return ", ".join(self.users)

    def to_dict(self) -> dict[str, Any]:
        return {"resource": self.resource, "state": self.state, "users": list(self.users)}


class Observatory:
    """The directory at one moment (``entries``, ``claims``), judged with ``config``.

    ``mine`` are the claim names held by the caller itself: they do not stop it."""

    def __init__(self, config: Config, entries: Iterable[Entry], claims: Iterable[Claim],
                 mine: Collection[str] = ()) -> None:
        self.config = config
        listed = list(entries)
        self.components = {e.name: e for e in listed if e.kind == COMPONENT}
        self.sequencers = {e.name: e for e in listed if e.kind == SEQUENCER}
        self.claims = {claim.name: claim for claim in claims if claim.name not in mine}

    # -- what runs

    def sequencers_of(self, obsmode: str) -> list[Entry]:
        """The sequencers of ``obsmode`` in the directory (whatever the configuration says)."""
        return [entry for name, entry in sorted(self.sequencers.items()) if parse_sequencer(name).obsmode == obsmode]

    def modes_in_use(self) -> list[str]:
        """The observing modes with at least one sequencer in the directory."""
        return sorted({parse_sequencer(name).obsmode for name in self.sequencers})

    def idle_components(self) -> list[Entry]:
        """Components that run nothing and that no other sequence manager is about to use, by name."""
        return [entry for name, entry in sorted(self.components.items())
                if entry.state == IDLE and entry.sequencer is None and name not in self.claims]

    # -- judging a mode

    def status(self, mode: ObsMode) -> ModeStatus:
        """Whether ``mode`` is Configured, Configurable (and where its sequencers would start) or not, and why."""
        return self.judge(mode, mode.sequencers)

    def judge(self, mode: ObsMode, wanted: Sequence[Sequencer]) -> ModeStatus:
        """:meth:`status` for some of the mode's sequencers only (``seqtool sm start``)."""
        running, needed = [], []
        for sequencer in wanted:
            name = name_of(mode.name, sequencer)
            entry = self.sequencers.get(name)
            component = self.components.get(entry.component or "") if entry else None
            if entry is not None:
                running.append(Assignment(name, sequencer.subsystem, sequencer.variation, component or entry))
            else:
                needed.append(sequencer)
        if not needed:
            return ModeStatus(mode.name, CONFIGURED, running=tuple(running))
        plan, missing = self._assign(mode.name, needed)
        reasons = (*self.conflicts(mode), *missing)
        if reasons:
            return ModeStatus(mode.name, NON_CONFIGURABLE, reasons, tuple(running))
        return ModeStatus(mode.name, CONFIGURABLE, running=tuple(running), plan=tuple(plan))

    def conflicts(self, mode: ObsMode) -> list[str]:
        """Why ``mode`` cannot run beside what runs or is being started: shared resources, its own claim."""
        reasons = []
        for other in self.modes_in_use():
            if other != mode.name and other in self.config.obsmodes:
                shared = mode.shared_resources(self.config.obsmodes[other])
                if shared:
                    reasons.append(f"conflicts with {other} (running): both use {', '.join(sorted(shared))}")
        for name in (obsmode_claim(mode.name), *(resource_claim(r) for r in mode.resources)):
            if claim := self.claims.get(name):
                what = mode.name if name == obsmode_claim(mode.name) else name.partition(":")[2]
                reasons.append(f"{what} is being taken by {claim.purpose} ({claim.owner})")
        return reasons

    def _assign(self, obsmode: str, needed: Sequence[Sequencer]) -> tuple[list[Assignment], list[str]]:
        """Idle components for ``needed`` (own subsystem first, then ESW), in the order of ``needed``;
        and a reason for each sequencer left without one."""
        idle = self.idle_components()
        chosen: dict[int, Entry] = {}
        for index, sequencer in enumerate(needed):
            own = next((c for c in idle if _subsystem(c) == sequencer.subsystem), None)
            if own is not None:
                chosen[index] = own
                idle.remove(own)
        missing = []
        for index, sequencer in enumerate(needed):
            if index in chosen:
                continue
            fallback = next((c for c in idle if _subsystem(c) == FALLBACK), None)
            if fallback is None:
                missing.append(self._none_for(obsmode, sequencer))
                continue
            chosen[index] = fallback
            idle.remove(fallback)
        plan = [Assignment(name_of(obsmode, s), s.subsystem, s.variation, chosen[i])
                for i, s in enumerate(needed) if i in chosen]
        return plan, missing

    def _none_for(self, obsmode: str, sequencer: Sequencer) -> str:
        """Why no component is left for ``sequencer``, naming those another manager is taking."""
        subsystems = {sequencer.subsystem, FALLBACK}
        alternatives = " or ".join(sorted(subsystems, key=lambda s: s == FALLBACK))
        taken = [f"{name} is being taken by {claim.purpose}" for name, claim in sorted(self.claims.items())
                 if name in self.components and _subsystem(self.components[name]) in subsystems]
        return f"no idle {alternatives} component for {name_of(obsmode, sequencer)}" + \
            (f" ({'; '.join(taken)})" if taken else "")

    # -- resources

    def resources(self) -> list[ResourceUse]:
        """Every resource the configuration's modes name: who uses it, or that it is free."""
        in_use = [mode for mode in self.modes_in_use() if mode in self.config.obsmodes]
        uses = []
        for resource in sorted({r for mode in self.config.obsmodes.values() for r in mode.resources}):
            users = tuple(mode for mode in in_use if resource in self.config.obsmodes[mode].resources)
            claim = self.claims.get(resource_claim(resource))
            if users:
                uses.append(ResourceUse(resource, IN_USE, users))
            elif claim is not None:
                uses.append(ResourceUse(resource, BEING_TAKEN, (f"by {claim.purpose} ({claim.owner})",)))
            else:
                uses.append(ResourceUse(resource, FREE))
        return uses


def _subsystem(component: Entry) -> str:
    return component.name.partition(".")[0]
