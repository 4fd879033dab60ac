"""A server's registration: its component's entry and, once it loaded a script, its sequencer's.

TMT's model: a sequence component stays registered while it runs a sequencer, and the
sequencer is registered beside it (``ESW.ESW_77`` runs ``IRIS@IRIS_ifsonly``), each
entry naming the other. Both names belong to the one server process and live and die
with it.
"""
from __future__ import annotations

from seqlocation.entry import IDLE, Entry
from seqlocation.errors import LocationError
from seqlocation.holding import Holding
from seqlocation.names import SEQUENCER, parse_sequencer
from seqlocation.store import ENTRY


class Registration:
    """The names one server holds, kept alive by Directory.hold; every entry carries the
    registration's ``instance`` id. Changes are written at once and seen by watchers."""

    def __init__(self, holding: Holding, entry: Entry):
        self._holding = holding
        self.entry = entry.replace(instance=holding.token)
        self.sequencer: Entry | None = None

    @property
    def instance(self) -> str:
        """The id a server reports to clients, who compare it with the entry they looked up."""
        return self._holding.token

    def holds(self, name: str) -> bool:
        return name in (self.entry.name, self.sequencer and self.sequencer.name)

    async def register(self) -> None:
        await self._holding.take(ENTRY + self.entry.name, {"entry": self.entry.to_dict()})

    async def update(self, **changes) -> None:
        """Change the component's entry (``state="running"``, or any further key); a new
        state applies to its sequencer too."""
        self.entry = self.entry.replace(**changes)
        await self._write(self.entry)
        if self.sequencer and "state" in changes:
            self.sequencer = self.sequencer.replace(state=changes["state"])
            await self._write(self.sequencer)

    async def add_sequencer(self, name: str) -> Entry:
        """Register the sequencer this component now runs (``IRIS@IRIS_ifsonly``): refused
        (nothing changed) when the component already runs one, or when a live owner holds
        the name (NameTaken, naming it)."""
        if self.sequencer:
            raise LocationError(f"{self.entry.name} already runs the sequencer {self.sequencer.name}")
        canonical = parse_sequencer(name).text
        sequencer = self.entry.replace(
            name=canonical, kind=SEQUENCER, component=self.entry.name, sequencer=None, state=self.entry.state
        )
        await self._holding.take(ENTRY + canonical, {"entry": sequencer.to_dict()})
        self.sequencer = sequencer
        self.entry = self.entry.replace(sequencer=canonical)
        await self._write(self.entry)
        return sequencer

    async def remove_sequencer(self) -> None:
        """Unregister the sequencer (its script was unloaded); the component stays, idle."""
        if self.sequencer is None:
            return
        await self._holding.drop(ENTRY + self.sequencer.name)
        self.sequencer = None
        self.entry = self.entry.replace(sequencer=None, state=IDLE)
        await self._write(self.entry)

    async def _write(self, entry: Entry) -> None:
        await self._holding.put(ENTRY + entry.name, {"entry": entry.to_dict()})
