"""The loaded tree and its states, kept current from events: the one model every process keeps.

The server gives it to each client that joins (so a late joiner starts from what
the others have seen), the shell shows and completes from it, the client library
offers it to programs, and the web page follows the same rules in JavaScript
(``seqserver/gui/snapshot.js``). The rules (``protocol/README.md``, section 5):

- ``state``: the node with that serial number takes the event's state and flags;
- ``tree`` with a snapshot (``loaded``, ``reset``, ``cleared``, ``restored``): it replaces
  everything; an edit of the queue (``inserted``, ``moved``, ``removed``, ``replaced``) changes
  the nodes it names, ``modules`` becomes the event's (a move has none: it changes no module),
  and ``obs`` lists the OBs in the order of the ``scripts`` (its ``index`` renumbered); ``held``
  sets the snapshot's ``held``;
- ``run``: its status becomes the snapshot's status; after ``finished``, ``error``
  or ``aborted`` no dialog waits any more;
- ``dialog``: a ``request`` adds the dialog to those waiting, ``resolved`` removes it.

The model owns its nodes: it copies what it is given, so the messages it was fed
stay as they were received (they may still be on their way to others).
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ._messages import Message

STATUSES = ("idle", "running", "paused", "finished", "error", "aborted")
"""A snapshot's ``status``; a ``run`` event's status is one of these but ``idle``."""
RUN_ENDED = frozenset({"finished", "error", "aborted"})
"""Run statuses after which no dialog waits any more."""


def empty_snapshot() -> dict[str, Any]:
    """The snapshot of a kernel with nothing loaded."""
    return {"status": "idle", "modules": [], "obs": [], "scripts": [], "dialogs": [], "held": False}


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


def _position(siblings: list[dict[str, Any]], node: dict[str, Any]) -> int:
    """Where ``node`` itself (not an equal copy) is among ``siblings``."""
    return next(index for index, sibling in enumerate(siblings) if sibling is node)


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
        tree["obs"] = [dict(ob) for ob in tree["obs"]]
        self._tree = tree
        self._by_sn: dict[int, dict[str, Any]] = {}
        self._list_of: dict[int, list[dict[str, Any]]] = {}  # sn -> the list that holds the node
        root = tree.get("root")
        if root:
            self._by_sn[root["sn"]] = root
            self._index(root["children"])
        self._index(tree["scripts"])

    def _index(self, nodes: list[dict[str, Any]], siblings: list[dict[str, Any]] | None = None) -> None:
        """Find ``nodes`` and everything below them by serial number; ``siblings`` is the list that holds
        them (by default ``nodes`` itself: the whole of a list of siblings)."""
        pending = [(nodes, nodes if siblings is None else siblings)]
        while pending:
            group, holder = pending.pop()
            for node in group:
                self._by_sn[node["sn"]] = node
                self._list_of[node["sn"]] = holder
                if node["children"]:
                    pending.append((node["children"], node["children"]))

    def _unindex(self, node: dict[str, Any]) -> None:
        for _, below in walk_nodes([node]):
            self._by_sn.pop(below["sn"], None)
            self._list_of.pop(below["sn"], None)

    def apply(self, event: Mapping[str, Any]) -> None:
        """Bring the model up to date with one event (a ``protocol.Event`` or its map; kinds
        other than those above change nothing)."""
        if isinstance(event, Message):
            event = event._values  # its own map: no method call per field (every process applies every event)
        kind = event.get("kind")
        if kind == "state":
            node = self._by_sn.get(event["sn"])
            if node is not None:
                node["state"] = event["state"]
                node["flags"] = list(event["flags"])
        elif kind == "tree":
            if event.get("snapshot") is not None:
                self.replace(event["snapshot"])
            else:
                self._edit(event)
        elif kind == "run":
            self._tree["status"] = event["status"]
            if event["status"] in RUN_ENDED:
                self._tree["dialogs"] = []
        elif kind == "dialog":
            waiting = [dialog for dialog in self._tree["dialogs"] if dialog["sn"] != event["sn"]]
            if event["action"] == "request":
                waiting.append({k: v for k, v in event.items() if k not in ("type", "kind", "action", "answer")})
            self._tree["dialogs"] = waiting

    def _edit(self, event: Mapping[str, Any]) -> None:
        """An edit of the queue (protocol/README.md, section 5): only the nodes it names change."""
        action = event["action"]
        if action == "held":
            self._tree["held"] = event["held"]
            return
        new_obs = {ob["sn"]: dict(ob) for ob in event.get("obs") or []}
        if action == "moved":
            node = self._by_sn[event["sn"]]
            siblings = self._list_of[event["sn"]]
            siblings.pop(_position(siblings, node))
            siblings.insert(event["index"], node)
        elif action == "inserted":
            siblings = self._children_of(event["parent"])
            nodes = [_copied(node) for node in event["nodes"]]
            siblings[event["index"]:event["index"]] = nodes
            self._index(nodes, siblings)
        elif action == "removed":
            for sn in event["sns"]:
                node, siblings = self._by_sn[sn], self._list_of[sn]
                siblings.pop(_position(siblings, node))
                self._unindex(node)
        elif action == "replaced":
            old, siblings = self._by_sn[event["sn"]], self._list_of[event["sn"]]
            new = _copied(event["nodes"][0])
            siblings[_position(siblings, old)] = new
            self._unindex(old)
            self._index([new], siblings)
        if "modules" in event:
            self._tree["modules"] = list(event["modules"])
        known = {ob["sn"]: ob for ob in self._tree["obs"]} | new_obs
        listed = [known[node["sn"]] for node in self._tree["scripts"] if node["sn"] in known]
        for index, ob in enumerate(listed):  # (the entries are the model's own: renumbered in place)
            ob["index"] = index
        self._tree["obs"] = listed

    def _children_of(self, sn: int) -> list[dict[str, Any]]:
        """The list a snapshot keeps a container's children in: the root's are the ``scripts``."""
        root = self._tree.get("root")
        return self._tree["scripts"] if root and root["sn"] == sn else self._by_sn[sn]["children"]

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
