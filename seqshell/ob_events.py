"""Which OB events OTTO should hear, from the kernel's events of a loaded OB.

OTTO wants to know when an OB was Initiated (loaded into the sequencer), Started
(its first node started) and Executed (it finished). The kernel publishes a
``state`` event for every node, the OB's own node (type ``O`` in snapshots)
included; :class:`OBEventTracker` follows the nodes of the OBs fetched from OTTO
and says which OB events those state events mean. Sans I/O: sending them is the
job of ``seqshell.otto.OttoReporter``.
"""
from __future__ import annotations

import dataclasses
import logging

logger = logging.getLogger("seq.otto")


@dataclasses.dataclass(frozen=True)
class OBEvent:
    ob_id: int
    event: str  # Initiated, Started or Executed
    name: str


def find_ob_node(snapshot: dict, name: str, source: str | None = None) -> dict | None:
    """The node of a loaded OB: the one loaded from file ``source`` when the
    snapshot's ``obs`` say so, else the OB node (type ``O``) called ``name``
    loaded last (highest serial number)."""
    nodes = {node["sn"]: node for node in _walk(snapshot.get("scripts", [])) if node.get("type") == "O"}
    if source is not None:
        for ob in snapshot.get("obs", []):
            if ob.get("source") == source and ob.get("sn") in nodes:
                return nodes[ob["sn"]]
    named = [node for node in nodes.values() if node.get("name") == name]
    return max(named, key=lambda node: node["sn"], default=None)


def _walk(nodes):
    for node in nodes:
        yield node
        yield from _walk(node.get("children", []))


@dataclasses.dataclass
class _TrackedOB:
    ob_id: int
    name: str
    phase: str = "Initiated"


class OBEventTracker:
    """Which OB events the kernel's events mean, for the OBs fetched from OTTO.

    Sans I/O: :meth:`loaded` and :meth:`feed` return the OB events to report; the
    caller sends them. The OB node going ``RUNNING`` means Started (its first node
    starts), ``FINISHED`` without ``ERROR`` or ``SKIP`` means Executed (Started first
    if it went unseen). A retry after an error reports nothing new until the OB
    finishes; a reset (``NOT_STARTED``) makes the next run report Started again.
    """

    def __init__(self):
        self._by_sn: dict[int, _TrackedOB] = {}

    def loaded(self, ob: dict, snapshot: dict, source: str | None = None) -> list[OBEvent]:
        """Track the OB just loaded (from file ``source``); Initiated.
        LookupError when ``snapshot`` does not hold it."""
        name = ob_name(ob)
        node = find_ob_node(snapshot, name, source)
        if node is None:
            raise LookupError(f"no OB node called {name!r} in the loaded tree")
        tracked = _TrackedOB(ob["obId"], name)
        self._by_sn[node["sn"]] = tracked
        return [OBEvent(tracked.ob_id, "Initiated", name)]

    def feed(self, event: dict) -> list[OBEvent]:
        """The OB events one protocol event means (usually none)."""
        if event.get("kind") == "tree":
            if event.get("snapshot") is not None:
                self._relocate(event["snapshot"], event.get("action"))
            else:  # an edit of the queue: serial numbers stay, but a removed or replaced OB goes
                self._forget([*(event.get("sns") or []), *([event["sn"]] if event.get("action") == "replaced" else [])])
            return []
        tracked = self._by_sn.get(event.get("sn")) if event.get("kind") == "state" else None
        if tracked is None:
            return []
        state = event.get("state", "").split("|")
        report = []
        if state[0] == "NOT_STARTED":
            tracked.phase = "Initiated"
        elif state[0] == "RUNNING" and tracked.phase == "Initiated":
            report.append("Started")
        elif state[0] == "FINISHED" and not {"ERROR", "SKIP"} & set(state) and tracked.phase != "Executed":
            report += ["Started", "Executed"] if tracked.phase == "Initiated" else ["Executed"]
        if report:
            tracked.phase = report[-1]
        return [OBEvent(tracked.ob_id, name, tracked.name) for name in report]

    def _forget(self, sns: list[int]) -> None:
        for sn in sns:
            tracked = self._by_sn.pop(sn, None)
            if tracked is not None:
                logger.warning("OB %s %r was removed from the queue; its events are no longer reported",
                               tracked.ob_id, tracked.name)

    def _relocate(self, snapshot: dict, action: str | None) -> None:
        """Follow the tracked OBs into a new tree (a restored chain renumbers nodes)."""
        if action == "cleared":
            self._by_sn.clear()
            return
        nodes = {node["sn"]: node for node in _walk(snapshot.get("scripts", [])) if node.get("type") == "O"}
        relocated = {}
        for sn, tracked in self._by_sn.items():
            node = nodes.get(sn)
            if node is None or node.get("name") != tracked.name:
                node = find_ob_node(snapshot, tracked.name)
            if node is None:
                logger.warning("OB %s %r is no longer loaded; its events are no longer reported",
                               tracked.ob_id, tracked.name)
                continue
            relocated[node["sn"]] = tracked
        self._by_sn = relocated


def ob_name(ob: dict) -> str:
    """The OB node's name: ``obsDescription.name``, as the tree shows it."""
    description = ob.get("obsDescription")
    if isinstance(description, dict) and description.get("name"):
        return str(description["name"])
    return str(ob.get("name") or "OB")


