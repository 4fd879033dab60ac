"""The commands a connecting side has sent and not yet seen answered, without I/O.

A side that sends ``cmd`` messages numbers them and matches each ``reply`` to
its command by ``id``: commands may be answered in another order (a ``wait``
after later commands). Each command has a waiter of the caller's choosing (a
trio event, a future); this class only keeps the books.
"""
from __future__ import annotations

import itertools
from typing import Generic, TypeVar

from ._messages import Cmd, Reply

W = TypeVar("W")


class Requests(Generic[W]):
    """Ids for commands sent, and the waiter of each, until its reply comes."""

    def __init__(self) -> None:
        self._ids = itertools.count(1)
        self._waiting: dict[int, W] = {}  # in the order sent

    def command(self, line: str, waiter: W) -> Cmd:
        """The ``cmd`` message for ``line``, with a fresh id; ``waiter`` waits for its reply."""
        request_id = next(self._ids)
        self._waiting[request_id] = waiter
        return Cmd(id=request_id, line=line)

    def resolve(self, reply: Reply) -> W | None:
        """The waiter of the command ``reply`` answers (no longer waiting), or None for a reply to
        nothing this side sent (or gave up on)."""
        return self._waiting.pop(reply.id, None)

    def forget(self, request_id: int) -> None:
        """Stop waiting for a reply (the caller gave up; a late reply is then ignored)."""
        self._waiting.pop(request_id, None)

    def oldest(self) -> tuple[int, W] | None:
        """The command sent first of those still waiting, with its waiter (no longer waiting):
        a peer that answers in order refuses it with an ``error`` instead of a reply."""
        for request_id in self._waiting:
            return request_id, self._waiting.pop(request_id)
        return None

    def drain(self) -> list[tuple[int, W]]:
        """Every command still waiting, oldest first (no longer waiting): the connection ended."""
        waiting, self._waiting = list(self._waiting.items()), {}
        return waiting

    def __len__(self) -> int:
        return len(self._waiting)
