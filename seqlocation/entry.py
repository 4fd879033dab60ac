"""What the directory holds about each component and sequencer, and who owns it.

An Entry is what a client needs to reach a component or sequencer and to know what
it is doing. Its ``instance`` is the random id of the registration that holds the
name: a server reports it, so a client that looked a name up can check it reached the
holder and not another server that reuses the port. The Owner is the process behind a
registration, described well enough to tell, on its own machine, that it is dead.
"""
from __future__ import annotations

import dataclasses
import json
import os
import socket
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from seqlocation.names import COMPONENT

IDLE = "idle"
RUNNING = "running"

REGISTERED = "registered"
CHANGED = "changed"
REMOVED = "removed"
UNREACHABLE = "unreachable"
REACHABLE = "reachable"

# Why an entry was removed.
UNREGISTERED = "unregistered"  # its owner removed it (a clean exit)
EXPIRED = "expired"  # its owner stopped refreshing it (dead, stopped, or cut off)
TAKEN_OVER = "taken over"  # a new owner took the name of a dead one
UNKNOWN = "unknown"  # gone while the watcher could not see the registry


def _boot_id() -> str:
    try:
        with open("/proc/sys/kernel/random/boot_id") as file:
            return file.read().strip()
    except OSError:
        return ""


def _start_time(pid: int) -> str | None:
    """When ``pid`` started (clock ticks since boot), None when no such process runs."""
    try:
        with open(f"/proc/{pid}/stat") as file:
            return file.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


@dataclass(frozen=True)
class Owner:
    """The process holding a name: its machine, boot, pid and the pid's start time."""

    machine: str
    boot: str
    pid: int
    started: str | None

    @classmethod
    def current(cls) -> Owner:
        pid = os.getpid()
        return cls(socket.gethostname(), _boot_id(), pid, _start_time(pid))

    def is_dead(self) -> bool:
        """True only when this is certain: the owner ran on this machine and its process
        is gone (or the machine rebooted since, or the pid is another process now)."""
        here = Owner.current()
        if self.machine != here.machine or not self.boot:
            return False
        return self.boot != here.boot or _start_time(self.pid) != self.started

    def __str__(self) -> str:
        return f"pid {self.pid} on {self.machine}"


@dataclass(frozen=True)
class Entry:
    """One component or sequencer of the directory; ``extra`` holds any further keys."""

    name: str
    kind: str = COMPONENT
    host: str = "127.0.0.1"
    port: int = 0
    tls: bool = False
    pid: int = field(default_factory=os.getpid)
    state: str = IDLE
    sequencer: str | None = None  # a component's sequencer, if it runs one
    component: str | None = None  # a sequencer's component
    started: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))
    version: str = ""
    simulation: bool = False
    instance: str = ""  # the registration holding the name (set by the directory)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def replace(self, **changes) -> Entry:
        """This entry with some fields changed; unknown keys go to ``extra``."""
        known = {f.name for f in dataclasses.fields(self)}
        extra = {**self.extra, **{k: v for k, v in changes.items() if k not in known}}
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if k in known}, extra=extra)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Entry:
        known = {f.name for f in dataclasses.fields(cls)}
        extra = {**data.get("extra", {}), **{k: v for k, v in data.items() if k not in known}}
        return cls(**{k: v for k, v in data.items() if k in known and k != "extra"}, extra=extra)

    def describe(self) -> str:
        """One line for messages: ``IRIS@IRIS_ifsonly (sequencer at 127.0.0.1:8000, pid 123)``."""
        return f"{self.name} ({self.kind} at {self.address}, pid {self.pid})"


def encode(owner: Owner, payload: dict[str, Any]) -> str:
    """The stored value of a record: its owner and what it says."""
    return json.dumps({"owner": dataclasses.asdict(owner), **payload})


def decode(value: str) -> tuple[Owner, dict[str, Any]]:
    data = json.loads(value)
    return Owner(**data.pop("owner")), data


@dataclass(frozen=True)
class Change:
    """One change seen by a watcher: ``kind`` is registered, changed or removed (``why``:
    unregistered, expired, taken over, unknown) for ``entry`` (for a removal, as last
    seen); or unreachable / reachable for the registry itself (``entry`` None, ``why``
    the reason)."""

    kind: str
    entry: Entry | None = None
    why: str = ""
