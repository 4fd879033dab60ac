"""Reading a run's log back: ``seqrun_<pid>.log``, as ``seqtool run`` writes it, into the events it records.

The log has one record per line, each starting with its local time to the
millisecond; a record may go on over the lines that follow (the tree listed
after ``TREE``, a traceback after ``ERROR in``, a message of several lines)::

    2026-12-07 18:07:58,252 TREE loaded: Sequence
        S+- (5) Sequence NOT_STARTED
          A-- (2) Tpl.a NOT_STARTED
    2026-12-07 18:07:58,253 STATE (2) Tpl.a RUNNING
    2026-12-07 18:07:58,253 INFO seq.user: Starting Task: Tpl.a
    2026-12-07 18:07:58,254 ERROR in (3) Tpl.b: ZeroDivisionError: division by zero
    2026-12-07 18:07:58,254 RUN error

The events come out shaped as the protocol's (section 5 of its specification),
so the web GUI shows a recorded run as it would have shown it live.
"""
from __future__ import annotations

import dataclasses
import datetime
import re

import protocol

RECORD = re.compile(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(\d{3}) (.*)")
TREE = re.compile(r"TREE (\w+): .*")
STATE = re.compile(r"STATE \((\d+)\) (.*) (\S+)")
RUN = re.compile(r"RUN (\w+)")
ERROR = re.compile(r"ERROR in \((\d+)\) (.*?): (.*)")
DIALOG = re.compile(r"DIALOG \w+ \(\d+\) .*")
LOG = re.compile(r"([A-Z]+) (\S+): (.*)")
NODE = re.compile(r"( *)([A-Z])[+-]- \((\d+)\) (.*) (\S+)")
TREE_INDENT = "    "
RUN_STATUS = {"started": "running"}  # a run event's word for the snapshot's status


class RunLogError(Exception):
    """The file is not a run log that can be shown, and why."""


@dataclasses.dataclass
class RunLog:
    """A run log read back: its events (protocol-shaped maps), and the lines that were not understood."""

    events: list[dict]
    nodes: int  # in the last tree listed
    not_understood: list[str]


def state_and_flags(display: str) -> tuple[str, list[str]]:
    """``FINISHED|SKIP|RT.SKIP`` -> (``FINISHED|SKIP``, ``["SKIP"]``): the inverse of the manual's display form."""
    parts = display.split("|")
    flags = [part[3:] for part in parts if part.startswith("RT.")]
    return "|".join(part for part in parts if not part.startswith("RT.")), flags


def parse_tree(lines: list[str]) -> list[dict]:
    """The scripts of a ``nodes`` listing (the root's begin and end, listed first, left out)."""
    tops: list[dict] = []
    path: list[dict] = []
    for line in lines:
        match = NODE.fullmatch(line.removeprefix(TREE_INDENT))
        if match is None:
            raise ValueError(line)
        indent, node_type, sn, name, display = match.groups()
        state, flags = state_and_flags(display)
        node = {"sn": int(sn), "id": f"{name}_{sn}", "name": name, "type": node_type, "state": state,
                "flags": flags, "description": "", "children": []}
        depth = len(indent) // 2
        del path[depth:]
        (path[-1]["children"] if path else tops).append(node)
        path.append(node)
    while tops and tops[0]["type"] == "A" and tops[0]["name"] in ("begin", "end") and not tops[0]["children"]:
        tops.pop(0)
    return tops


def _timestamp(day_and_time: str, milliseconds: str) -> float:
    moment = datetime.datetime.strptime(day_and_time, "%Y-%m-%d %H:%M:%S")  # local time, as written
    return moment.timestamp() + int(milliseconds) / 1000


def _records(text: str):
    """(time, first line, following lines) of each record; lines before the first record are skipped."""
    record = None
    for line in text.splitlines():
        match = RECORD.fullmatch(line)
        if match:
            if record is not None:
                yield record
            record = (_timestamp(match.group(1), match.group(2)), match.group(3), [])
        elif record is not None:
            record[2].append(line)
    if record is not None:
        yield record


def read_run_log(text: str) -> RunLog:
    """The events a run log records. RunLogError when it lists no tree (nothing could be drawn)."""
    events: list[dict] = []
    not_understood: list[str] = []
    status = "idle"
    nodes = None
    for ts, line, more in _records(text):
        if match := TREE.fullmatch(line):
            try:
                scripts = parse_tree(more)
            except ValueError as bad:
                not_understood.append(str(bad))
                continue
            snapshot = {"status": status, "modules": [], "obs": [], "scripts": scripts, "dialogs": []}
            events.append({"kind": "tree", "ts": ts, "action": match.group(1), "snapshot": snapshot})
            nodes = sum(1 for _ in _walk(scripts))
        elif match := STATE.fullmatch(line):
            sn, name, display = match.groups()
            state, flags = state_and_flags(display)
            events.append({"kind": "state", "ts": ts, "sn": int(sn), "id": f"{name}_{sn}", "name": name,
                           "state": state, "flags": flags})
        elif match := RUN.fullmatch(line):
            status = RUN_STATUS.get(match.group(1), match.group(1))
            events.append({"kind": "run", "ts": ts, "status": match.group(1)})
        elif match := ERROR.fullmatch(line):
            sn, name, exception = match.groups()
            events.append({"kind": "error", "ts": ts, "sn": int(sn), "id": f"{name}_{sn}", "name": name,
                           "exception": exception, "traceback": "\n".join(more), "file": None, "line": None})
        elif DIALOG.fullmatch(line):
            continue  # answered long ago: nothing to ask
        elif match := LOG.fullmatch(line):
            level, logger, message = match.groups()
            events.append({"kind": "log", "ts": ts, "level": level, "logger": logger,
                           "message": "\n".join([message, *more]), "sn": None})
        else:
            not_understood.append(line)
    events, refused = _valid(events)
    not_understood += refused
    if nodes is None:
        raise RunLogError("it lists no tree of nodes (is it a seqrun_<pid>.log of seqtool run, "
                          "from a version that wrote the tree?)")
    return RunLog(events, nodes, not_understood)


def _valid(events: list[dict]) -> tuple[list[dict], list[str]]:
    """The events the protocol accepts, and a description of each it refuses."""
    valid, refused = [], []
    for event in events:
        try:
            protocol.from_dict({"type": "event", **event})
        except protocol.ProtocolError as exc:
            refused.append(f"{event['kind']} event: {exc}")
        else:
            valid.append(event)
    return valid, refused


def _walk(nodes: list[dict]):
    for node in nodes:
        yield node
        yield from _walk(node["children"])
