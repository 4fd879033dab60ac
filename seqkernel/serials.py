"""Serial numbers and generated ids of nodes.

Serial numbers are what an operator types (``skip 3``). Each engine numbers the
nodes of the scripts it loads from 1 (its root) upwards, so the numbers match
the manual's listings; nodes built elsewhere (at a module's import, or for
``await node.start()``) draw from a process-wide numbering, and an engine gives
them numbers of its own when it attaches them. A node remembers which
numbering gave it its number.
"""
from __future__ import annotations

import random
import string
from contextvars import ContextVar, Token
from typing import Protocol

_ALPHABET = string.ascii_letters + string.digits
_random = random.Random()


class Numbered(Protocol):
    """What gets a serial number: a node."""

    sn: int
    numbering: Numbering


class Numbering:
    """Serial numbers handed out from 1 upwards.

    An engine takes back the numbers of a load that failed (:meth:`rewind`), so the
    numbers a tree gets depend only on the loads and edits that succeeded: a fresh
    kernel given the same commands again (crash recovery) numbers every node alike.
    """

    def __init__(self) -> None:
        self.next = 1

    def assign(self, node: Numbered) -> None:
        node.sn = self.next
        node.numbering = self
        self.next += 1

    def rewind(self, mark: int) -> None:
        """Hand out the numbers from ``mark`` (a past value of :attr:`next`) again: none of them is in use."""
        self.next = mark


_process_numbering = Numbering()
_current: ContextVar[Numbering] = ContextVar("numbering", default=_process_numbering)


def number(node: Numbered) -> None:
    """Give ``node`` the next serial number of the numbering in use here."""
    _current.get().assign(node)


def use_numbering(numbering: Numbering) -> Token[Numbering]:
    """Make nodes built in the current context take their serial numbers from ``numbering``."""
    return _current.set(numbering)


def restore_numbering(token: Token[Numbering]) -> None:
    _current.reset(token)


def new_id(name: str, length: int = 10) -> str:
    """A node id as the manual shows them, e.g. ``Sequence_3j7VG0YWmM``."""
    return f"{name}_{''.join(_random.choices(_ALPHABET, k=length))}"
