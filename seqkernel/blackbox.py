"""The kernel's black box: what it was doing, readable by its parent when it cannot say so itself.

A kernel stopped by SIGSTOP, or held by a step that keeps the GIL in C code,
sends nothing; one that dies (``os._exit`` in a step, a signal) takes its
unsent events with it. Either way its parent still has to tell the operators
which step was running. So the kernel keeps, in a few kilobytes of memory it
shares with its parent, a heartbeat (a count and a time, written by a task of
its event loop), the steps running now and whether a run goes on (a run paused
between steps has none running, and still has to be ended); the parent reads
them at any time, after the kernel's death included.

The memory is an anonymous file (``memfd``) the parent makes and passes to the
kernel's process as a descriptor, mapped by both with :mod:`mmap`: nothing on
disk, nothing to clean up, gone with the last process that maps it. Plain
fixed-size records (:mod:`struct`) rather than a message: the kernel writes one
in a microsecond on each step's start and end, and the parent reads it without
the kernel's help.
"""
from __future__ import annotations

import mmap
import os
import struct
import tempfile
import time
from dataclasses import dataclass

from protocol import RUN_ENDED

from .records import StepStateRecord

_BEAT = struct.Struct("<Qd")  # beats, time.monotonic() of the last one (the machine's clock, shared by processes)
_UNNAMED = struct.Struct("<Q")  # steps running without a slot
_IN_RUN = struct.Struct("<Q")  # 1 while a run goes on (running or paused), else 0
_SLOT = struct.Struct("<qQ48s")  # serial number (0: free), order of start, name (UTF-8, cut to fit)
SLOTS = 64  # running steps named; more are counted
_IN_RUN_AT = _BEAT.size + _UNNAMED.size
_SLOTS_AT = _IN_RUN_AT + _IN_RUN.size
SIZE = _SLOTS_AT + SLOTS * _SLOT.size


@dataclass(frozen=True)
class Reading:
    """What the black box held when it was read."""

    beats: int  # how many times the kernel's event loop has beaten (0: not yet)
    beat_time: float  # time.monotonic() of the last beat
    running: tuple[tuple[int, str], ...]  # (sn, name) of the steps running, the one started last at the end
    unnamed: int  # steps running beyond those named
    in_run: bool  # a run was going on (running, or paused between steps)

    def activity(self) -> str:
        """`` while running step 'expose' (sn 4)``, or while running several, or nothing: for a report."""
        if not self.running:
            return ""
        named = ", ".join(f"{name!r} (sn {sn})" for sn, name in self.running)
        more = f" and {self.unnamed} more" if self.unnamed else ""
        return f" while running step{'s' if len(self.running) + self.unnamed > 1 else ''} {named}{more}"


class BlackBox:
    """One kernel's black box: the kernel writes it (:meth:`beat`, :meth:`observe`), its parent reads it."""

    def __init__(self, memory: mmap.mmap) -> None:
        self._memory = memory
        self._slot_of: dict[int, int] = {}  # (the writer's) sn -> slot
        self._free = list(reversed(range(SLOTS)))
        self._unnamed: set[int] = set()
        self._starts = 0
        self._beats = 0

    @classmethod
    def create(cls) -> tuple[BlackBox, int]:
        """A new black box for a kernel about to be started, and the descriptor to pass to it."""
        fd = os.memfd_create("seq-kernel-black-box") if hasattr(os, "memfd_create") else _temporary_file()
        os.ftruncate(fd, SIZE)
        return cls(mmap.mmap(fd, SIZE)), fd

    @classmethod
    def attach(cls, fd: int) -> BlackBox:
        """The black box whose descriptor the parent passed (in the kernel)."""
        with os.fdopen(fd, "r+b") as file:
            return cls(mmap.mmap(file.fileno(), SIZE))  # the mapping outlives the descriptor

    @classmethod
    def private(cls) -> BlackBox:
        """A black box nobody else reads (a kernel started without one)."""
        return cls(mmap.mmap(-1, SIZE))

    # -- the kernel's side ----------------------------------------------------------------

    def beat(self) -> None:
        """The event loop is turning (called by a task of it)."""
        self._beats += 1
        _BEAT.pack_into(self._memory, 0, self._beats, time.monotonic())

    def observe(self, record: dict) -> None:
        """Follow the engine's records: a step that becomes RUNNING is named, one that leaves it is not;
        whether a run goes on, from the ``run`` records.

        The containers a step runs in (its Sequence, the root...) are running too, but the step
        is what the operators need: the engine makes a step's state records a
        :class:`StepStateRecord`, and only those name what runs.
        """
        if type(record) is not StepStateRecord:
            if record.get("kind") == "run":
                _IN_RUN.pack_into(self._memory, _IN_RUN_AT, record["status"] not in RUN_ENDED)
            return
        sn = record["sn"]
        slot = self._slot_of.pop(sn, None)
        if slot is not None:
            _SLOT.pack_into(self._memory, _offset(slot), 0, 0, b"")
            self._free.append(slot)
        elif sn in self._unnamed:
            self._unnamed.discard(sn)
            _UNNAMED.pack_into(self._memory, _BEAT.size, len(self._unnamed))
        if record["state"] != "RUNNING":
            return
        self._starts += 1
        if self._free:
            self._slot_of[sn] = slot = self._free.pop()
            _SLOT.pack_into(self._memory, _offset(slot), sn, self._starts, record["name"].encode()[:48])
        else:
            self._unnamed.add(sn)
            _UNNAMED.pack_into(self._memory, _BEAT.size, len(self._unnamed))

    # -- the parent's side ----------------------------------------------------------------

    def read(self) -> Reading:
        beats, beat_time = _BEAT.unpack_from(self._memory)
        [unnamed] = _UNNAMED.unpack_from(self._memory, _BEAT.size)
        [in_run] = _IN_RUN.unpack_from(self._memory, _IN_RUN_AT)
        slots = (_SLOT.unpack_from(self._memory, _offset(slot)) for slot in range(SLOTS))
        running = sorted((order, sn, name.rstrip(b"\0").decode(errors="ignore")) for sn, order, name in slots if sn)
        return Reading(beats, beat_time, tuple((sn, name) for _, sn, name in running), unnamed, bool(in_run))

    def close(self) -> None:
        self._memory.close()


def _offset(slot: int) -> int:
    return _SLOTS_AT + slot * _SLOT.size


def _temporary_file() -> int:
    with tempfile.TemporaryFile() as file:  # (where there is no memfd): unlinked at once
        return os.dup(file.fileno())
