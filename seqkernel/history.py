"""What the queue ran: each item that began, with its start and end times and how it ended.

Kept by the engine's root across ``reset`` (a night's runs add up), dropped by
``clear``; the ``history`` command shows it. An item is one of the queue's
scripts or OBs; a run that resumes an item (``retry``, ``continue``) adds an
entry of its own for it.
"""
from __future__ import annotations

import datetime
import time
from typing import Any

from .states import State

FINISHED = "finished"
ERROR = "error"
ABORTED = "aborted"
SKIPPED = "skipped"

_OUTCOMES = {
    State.FINISHED: FINISHED,
    State.FINISHED_SKIP: SKIPPED,
    State.FINISHED_ERROR: ERROR,
    State.CANCELLED_ERROR: ERROR,
}


class History:
    """The items that ran, in the order they began."""

    def __init__(self) -> None:
        self._entries: list[dict[str, Any]] = []

    def began(self, item) -> dict[str, Any]:
        """Note that ``item`` begins now; returns its entry, for :meth:`ended`."""
        entry = {"sn": item.sn, "name": item.name, "type": item.type_code, "start": time.time(), "end": None,
                 "outcome": None, "error": None}
        self._entries.append(entry)
        return entry

    @staticmethod
    def ended(entry: dict[str, Any], item, error: dict[str, Any] | None) -> None:
        """Note how ``item`` ended; ``error`` is the run's error event, when a step failed."""
        entry["end"] = time.time()
        entry["outcome"] = _OUTCOMES.get(item.state, ABORTED)
        if entry["outcome"] == ERROR and error is not None:
            entry["error"] = f"{error['exception']} in ({error['sn']}) {error['name']}"

    def entries(self) -> list[dict[str, Any]]:
        """Copies of the entries, oldest first (``end`` and ``outcome`` None while an item runs)."""
        return [dict(entry) for entry in self._entries]


def format_history(entries: list[dict[str, Any]]) -> str:
    """One line per entry: ``1. 22:01:03-22:14:55 (12) fors2_01_acquisition: finished``."""
    if not entries:
        return "nothing has run yet"
    return "\n".join(f"{number}. {_times(entry)} ({entry['sn']}) {entry['name']}: {_outcome(entry)}"
                     for number, entry in enumerate(entries, 1))


def _times(entry: dict[str, Any]) -> str:
    start = _clock(entry["start"])
    return f"{start}-{_clock(entry['end'])}" if entry["end"] is not None else f"{start}-"


def _clock(ts: float) -> str:
    return datetime.datetime.fromtimestamp(ts).strftime("%H:%M:%S")


def _outcome(entry: dict[str, Any]) -> str:
    if entry["outcome"] is None:
        return "running"
    return f"{entry['outcome']}: {entry['error']}" if entry["error"] else entry["outcome"]
