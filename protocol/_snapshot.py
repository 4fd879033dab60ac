"""The loaded tree and its states, kept current from events: the one model every process keeps.

The server gives it to each client that joins (so a late joiner starts from what
the others have seen), the shell shows and completes from it, the client library
offers it to programs, and the web page follows the same rules in JavaScript
(``seqserver/gui/snapshot.js``). The rules (``protocol/README.md``, section 5):

- ``state``: the node with that serial number takes the event's state and flags;
- ``tree``: the event's snapshot replaces everything;
- ``run``: its status becomes the snapshot's status; after ``finished``, ``error``
  or ``aborted`` no dialog waits any more;
- ``dialog``: a ``request`` adds the dialog to those waiting, ``resolved`` removes it.

The model owns its nodes: it copies what it is given, so the messages it was fed
stay as they were received (they may still be on their way to others).
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

STATUSES = ("idle", "running", "paused", "finished", "error", "aborted")
"""A snapshot's ``status``; a ``run`` event's status is one of these but ``idle``."""
RUN_ENDED = frozenset({"finished", "error", "aborted"})
"""Run statuses after which no dialog waits any more."""


def empty_snapshot() -> dict[str, Any]:
    """The snapshot of a kernel with nothing loaded."""
    return {"status": "idle", "modules": [], "obs": [], "scripts": [], "dialogs": []}


def walk_nodes(nodes: list[Any], path: tuple[int, ...] = ()) -> Iterator[tuple[tuple[int, ...], Any]]:
    """Every node of ``nodes`` and below, depth first, with its position (child indexes from the top)."""
    pending = [((*path, index), node) for index, node in reversed(list(enumerate(nodes)))]
    while pending:
        position, node = pending.pop()
        yield position, node
        children = node.get("children") or []
        pending.extend(((*position, index), child) for index, child in reversed(list(enumerate(children))))


def top_level(snapshot: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The nodes a listing shows unindented: the root's begin and end (its only children in a
    snapshot), then the scripts."""
    return [*(snapshot.get("root") or {}).get("children", []), *snapshot.get("scripts", [])]


def _copied(node: Mapping[str, Any]) -> dict[str, Any]:
    """A node and its descendants as fresh maps and lists (the other values are immutable)."""
    top = dict(node)
    pending = [top]
    while pending:
        current = pending.pop()
        current["flags"] = list(current.get("flags") or [])
        children = current["children"] = [dict(child) for child in current.get("children") or []]
        pending.extend(children)
    return top


class Snapshot:
    """A snapshot (the shape of ``welcome``'s) that applies events to itself."""

    def __init__(self, snapshot: Mapping[str, Any] | None = None) -> None:
        self.replace(snapshot or empty_snapshot())

    def replace(self, snapshot: Mapping[str, Any]) -> None:
        """Start over from ``snapshot`` (copied: the map given is left as it is)."""
        tree = {**empty_snapshot(), **snapshot}
        tree["scripts"] = [_copied(node) for node in tree["scripts"]]
        if tree.get("root"):
            tree["root"] = _copied(tree["root"])
        tree["dialogs"] = [dict(dialog) for dialog in tree.get("dialogs") or []]
        self._tree = tree
        self._by_sn: dict[int, dict[str, Any]] = {node["sn"]: node for _, node in walk_nodes(top_level(tree) + ([tree["root"]]
                                                                                    if tree.get("root") else []))}

    def apply(self, event: Mapping[str, Any]) -> None:
        """Bring the model up to date with one event (a ``protocol.Event`` or its map; kinds
        other than those above change nothing)."""
        kind = event.get("kind")
        if kind == "state":
            node = self._by_sn.get(event["sn"])
            if node is not None:
                node["state"] = event["state"]
                node["flags"] = list(event["flags"])
        elif kind == "tree":
            self.replace(event["snapshot"])
        elif kind == "run":
            self._tree["status"] = event["status"]
            if event["status"] in RUN_ENDED:
                self._tree["dialogs"] = []
        elif kind == "dialog":
            waiting = [dialog for dialog in self._tree["dialogs"] if dialog["sn"] != event["sn"]]
            if event["action"] == "request":
                waiting.append({k: v for k, v in event.items() if k not in ("type", "kind", "action", "answer")})
            self._tree["dialogs"] = waiting

    # -- reading ---------------------------------------------------------------------------

    def current(self) -> Mapping[str, Any]:
        """The snapshot as of now, for encoding at once: the model goes on changing it."""
        return self._tree

    @property
    def status(self) -> str:
        return self._tree["status"]

    def node(self, sn: int | None) -> Mapping[str, Any] | None:
        """The node with serial number ``sn`` (the root and its begin and end included), or None."""
        return None if sn is None else self._by_sn.get(sn)

    def nodes(self) -> list[Mapping[str, Any]]:
        """Every node of the loaded scripts, in serial-number order (the root's own nodes left out)."""
        return sorted((node for _, node in walk_nodes(self._tree["scripts"])), key=lambda node: node["sn"])

    def open_dialogs(self) -> list[Mapping[str, Any]]:
        """The dialogs waiting for an answer: the fields of their request events."""
        return self._tree["dialogs"]

    def flagged_positions(self) -> list[tuple[tuple[int, ...], list[str]]]:
        """Each node of the scripts that carries runtime flags, by its position in the tree (what
        names a node across a reload, where serial numbers may change)."""
        return [(position, list(node["flags"])) for position, node in walk_nodes(self._tree["scripts"])
                if node.get("flags")]

    def sn_at(self, position: tuple[int, ...]) -> int | None:
        """The serial number of the node at ``position``, or None when the tree has no such node."""
        nodes, node = self._tree["scripts"], None
        for index in position:
            if index >= len(nodes):
                return None
            node = nodes[index]
            nodes = node.get("children") or []
        return None if node is None else node["sn"]
