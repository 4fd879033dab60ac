"""The queue: the scripts and OBs under the engine's root, run in order, and how edits reshape it.

The root's children are the queue's items; an OB's templates are its steps. The
run takes, at each item boundary, the first item still to run (and an OB the
first of its templates still to run), so an edit made during a run takes effect
in that run. Edits are worked out here as a container's new order and checked
whole before anything changes, so a refused edit leaves the tree as it was:

- while a run is in progress only what has not started may be moved, removed or
  replaced, and new or moved work goes after what has started;
- a template stays in its OB; a position is never inside the item being moved.

The root also holds the queue's hold (``pause`` without a serial number: the run
waits before its next item) and its :class:`~seqkernel.history.History`.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from . import context
from .exceptions import NotAllowed
from .execution import next_to_run
from .history import History
from .nodes import Node, Sequence, Template
from .ob import OB
from .states import State

PENDING = frozenset({State.NOT_STARTED, State.SCHEDULED})
"""The states of what has not started."""


class Place(NamedTuple):
    """Where an edit puts a node among its container's children: ``first``, ``last``, or
    ``before``/``after`` the sibling with serial number ``sn``."""

    where: str
    sn: int | None = None


LAST = Place("last")


class ScriptRoot(Sequence):
    """The engine's root: the queue of loaded scripts and OBs, run one after the other."""

    is_engine_root = True
    __slots__ = ("held", "history")

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.held = False  # the run waits before its next item until released
        self.history = History()

    async def _body(self, run):
        await run.execute(self.begin)
        while (item := next_to_run(self)) is not None:
            if self.held:
                await run.hold(self)  # released by resume (or continue); then the next item is looked for again
                continue
            token = context.root.set(item)
            entry = self.history.began(item)
            try:
                await run.execute(item)
            finally:
                context.root.reset(token)
                self.history.ended(entry, item, run.error)
        await run.execute(self.end)


def describe(node: Node) -> str:
    return f"({node.sn}) {node.name}"


def container_of(node: Node, root: ScriptRoot) -> Sequence:
    """The container whose order an edit of ``node`` changes: the root for an item of the queue,
    its OB for a template. NotAllowed for any other node."""
    parent = node.parent
    if parent is root and any(child is node for child in root.children):
        return root
    if isinstance(node, Template) and isinstance(parent, OB) and parent.parent is root:
        return parent
    raise NotAllowed(f"{describe(node)} is not an item of the queue: the queue's items are the scripts and OBs "
                     "loaded under the root, and an OB's templates")


def check_pending(node: Node, doing: str, running: bool) -> None:
    """Refuse (NotAllowed, naming the node and its state) to change a node that has started while a run is in
    progress."""
    if running and node.state not in PENDING:
        raise NotAllowed(f"cannot {doing} {describe(node)}: it is {node.state.value}; while a run is in progress "
                         "only what has not started may change")


def placed(container: Sequence, children: list[Node], new: list[Node], place: Place,
           find: Callable[[int], Node], running: bool) -> list[Node]:
    """``children`` of ``container`` with ``new`` put where ``place`` says (``new`` not among ``children``).

    While a run is in progress nothing that has started may come after the place:
    ``first`` is then the front of what has not started.
    """
    if place.where in ("before", "after"):
        reference = find(place.sn)
        for node in new:
            if _is_within(reference, node):
                raise NotAllowed(f"--{place.where} {place.sn}: {describe(reference)} is inside "
                                 f"{describe(node)}, the item being placed")
        index = next((i for i, child in enumerate(children) if child is reference), None)
        if index is None:
            raise NotAllowed(_not_beside(reference, container))
        index += place.where == "after"
    elif place.where == "first":
        started = [i for i, child in enumerate(children) if child.state not in PENDING] if running else []
        index = started[-1] + 1 if started else 0
    else:
        index = len(children)
    if running:
        started = next((child for child in children[index:] if child.state not in PENDING), None)
        if started is not None:
            raise NotAllowed(f"cannot place it before {describe(started)}, which is {started.state.value}: while a "
                             "run is in progress, work goes after what has started")
    return [*children[:index], *new, *children[index:]]


def arrange(container: Sequence, children: list[Node]) -> None:
    """Give ``container`` these children, in this order (an OB keeps its templates' entries with them)."""
    if isinstance(container, OB):
        container.arrange(children)
    else:
        container.children = children


def snapshot_index(container: Sequence, node: Node) -> int:
    """``node``'s index in its container's list as a snapshot shows it: the root's ``scripts``, another
    container's ``children`` (its begin node first)."""
    listed = container.children if isinstance(container, ScriptRoot) else container.subnodes
    return next(i for i, child in enumerate(listed) if child is node)


def _is_within(node: Node, top: Node) -> bool:
    while node is not None:
        if node is top:
            return True
        node = node.parent
    return False


def _not_beside(reference: Node, container: Sequence) -> str:
    if isinstance(container, ScriptRoot):
        return (f"{describe(reference)} is not an item of the queue: scripts and OBs are placed before or after "
                "another script or OB")
    return f"{describe(reference)} is not a template of OB {describe(container)}: a template stays in its OB"
