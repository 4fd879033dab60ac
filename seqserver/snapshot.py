"""The loaded tree and its states, kept current from the events of the chain.

The server gives it to every client that joins, so a late joiner starts from
exactly what the others have seen: the snapshot is encoded at the point of the
event stream where the client is registered, and every later event follows it.

The snapshot is updated in place, so whatever is sent from it must be encoded
at once (the server encodes every message when it is queued); this saves a copy
of what may be a tree of many thousand nodes for each client that joins.
"""
from __future__ import annotations

import copy
from collections.abc import Iterator

EMPTY = {"status": "idle", "modules": [], "obs": [], "scripts": [], "dialogs": []}

# A run event's status, as the snapshot's status (the engine's words).
RUN_TO_STATUS = {"started": "running"}
# Run statuses after which no dialog waits any more.
RUN_ENDED = frozenset({"finished", "error", "aborted"})


def _walk(nodes: list[dict], path: tuple[int, ...] = ()) -> Iterator[tuple[tuple[int, ...], dict]]:
    """Every node with its position: the child indexes from the list of scripts down."""
    for index, node in enumerate(nodes):
        position = (*path, index)
        yield position, node
        yield from _walk(node.get("children") or [], position)


class LiveSnapshot:
    """A snapshot (protocol's ``welcome``/``tree`` shape) that applies events to itself."""

    def __init__(self, snapshot: dict | None = None) -> None:
        self.replace(copy.deepcopy(snapshot or EMPTY))

    def replace(self, snapshot: dict) -> None:
        """Start from ``snapshot``, which this object now owns and updates."""
        self._tree = snapshot
        # The scripts, and the root with its begin and end.
        self._by_sn: dict[int, dict] = {}
        for tops in (self._tree.get("scripts") or [], [self._tree["root"]] if self._tree.get("root") else []):
            for _, node in _walk(tops):
                self._by_sn[node["sn"]] = node

    def apply(self, event) -> None:
        """Bring the snapshot up to date with one event, a map or a ``protocol.Event``
        (other kinds change nothing)."""
        kind = event.get("kind")
        if kind == "state":
            node = self._by_sn.get(event["sn"])
            if node is not None:
                node["state"] = event["state"]
                node["flags"] = list(event["flags"])
        elif kind == "tree":
            self.replace(event["snapshot"])
        elif kind == "run":
            self._tree["status"] = RUN_TO_STATUS.get(event["status"], event["status"])
            if event["status"] in RUN_ENDED:
                self._tree["dialogs"] = []
        elif kind == "dialog":
            waiting = [dialog for dialog in self._tree.get("dialogs") or [] if dialog["sn"] != event["sn"]]
            if event["action"] == "request":
                waiting.append({k: v for k, v in event.items() if k not in ("type", "kind", "action")})
            self._tree["dialogs"] = waiting

    def current(self) -> dict:
        """The snapshot as of now; encode it before the next event changes it."""
        return self._tree

    def flagged_positions(self) -> list[tuple[tuple[int, ...], list[str]]]:
        """Each node carrying runtime flags, by position in the tree (serial numbers may differ later)."""
        return [(position, list(node["flags"])) for position, node in _walk(self._tree["scripts"]) if node.get("flags")]

    def sn_at(self, position: tuple[int, ...]) -> int | None:
        """The serial number of the node at ``position``, or None when the tree has no such node."""
        nodes, node = self._tree["scripts"], None
        for index in position:
            if index >= len(nodes):
                return None
            node = nodes[index]
            nodes = node.get("children") or []
        return None if node is None else node["sn"]

