"""The event bodies the engine makes for every node it runs: nearly every event of a run.

Each builder gives every field its protocol type by construction (a node's name and id are
strings, checked when the node is made), and tests hold each builder to the protocol's schema.
So the kernel packs these bodies without checking every field again
(``protocol.encode_event(check=False)``), which it tells from their type, :class:`TypedRecord`.
"""
from __future__ import annotations

import time
from typing import TYPE_CHECKING

from .log import USER_LOGGER
from .states import flag_names

if TYPE_CHECKING:
    from .nodes import Node


class TypedRecord(dict):
    """An event body made to the protocol's schema by construction (see the module): published unchecked."""

    __slots__ = ()


class StepStateRecord(TypedRecord):
    """The state record of a step (:attr:`Node.is_step`): the kernel's black box names the steps
    running from these, and only these."""

    __slots__ = ()


def state_record(node: Node) -> TypedRecord:
    """The ``state`` event body of ``node``'s current state and flags."""
    return (StepStateRecord if node.is_step else TypedRecord)(
        kind="state",
        ts=time.time(),
        sn=node.sn,
        id=node.id,
        name=node.name,
        state=node.state._value_,  # (the enum's value without its descriptor: this is the hot path)
        flags=flag_names(node.flags),
    )


def task_record(message: str, node: Node) -> TypedRecord:
    """A ``log`` event body on ``seq.user`` for ``Starting Task: X`` / ``End Task: X``."""
    return TypedRecord(kind="log", ts=time.time(), level="INFO", logger=USER_LOGGER, message=message + node.name,
                       sn=node.sn)
