"""How the shell shows what the kernel publishes.

One place turns protocol events into the lines an operator reads, and keeps the
latest picture of the loaded tree (serial numbers, names, states, flags) that
completion and ``break`` work from. Lines are Rich ``Text`` so that cmd2 can
colour them on a terminal (its ``allow_style`` setting) and print them plain
everywhere else.
"""
from __future__ import annotations

from collections.abc import Mapping

from rich.text import Text

import protocol
from protocol import display_state
from seqlocation import Entry
from seqlocation.tool import describe

STATE_STYLES = {
    "RUNNING": "bold cyan",
    "PAUSED": "bold yellow",
    "FINISHED": "green",
    "CANCELLED": "magenta",
    "ERROR": "bold red",
}

RUN_MESSAGES = {
    "running": "run started",
    "finished": "run finished",
    "error": "run stopped on an error (retry, continue, or reset)",
    "paused": "run paused (resume SN after a PAUSE flag, resume when the queue is held, answer SN for a dialog)",
    "aborted": "run aborted (continue to go on, or reset)",
}

LEVEL_STYLES = {"WARNING": "yellow", "ERROR": "bold red", "CRITICAL": "bold red"}


def state_style(state: str) -> str:
    if "ERROR" in state:
        return STATE_STYLES["ERROR"]
    return STATE_STYLES.get(state.split("|")[0], "")


QUIET_STATES = {"NOT_STARTED", "SCHEDULED"}


def worth_showing(event: dict, previous_state: str | None) -> bool:
    """Whether a state event tells the operator something: a script node (not the hidden root,
    not a begin/end node) reaching a new state that is not mere bookkeeping (scheduling, reset),
    and not a flag change alone (the command that set the flag says so)."""
    if previous_state is None or event["name"] in ("begin", "end"):
        return False
    return event["state"] != previous_state and event["state"].split("|")[0] not in QUIET_STATES


def format_event(event: dict, previous_state: str | None = None) -> Text | None:
    """The line(s) to show for one event, or None for events best seen through ``nodes``.

    ``previous_state`` is the node's state before a ``state`` event (None: unknown node).
    """
    kind = event.get("kind")
    if kind == "state":
        if not worth_showing(event, previous_state):
            return None
        shown = display_state(event["state"], event.get("flags", []))
        return Text.assemble(f"({event['sn']}) {event['name']} ", (shown, state_style(event["state"])))
    if kind == "log":
        level = event.get("level", "INFO")
        return Text(f"{level}:{event.get('logger', '')}:{event.get('message', '')}", LEVEL_STYLES.get(level, ""))
    if kind == "output":
        text = event.get("text", "")
        return Text(text, "red" if event.get("stream") == "stderr" else "") if text else None
    if kind == "error":
        where = f" at {event['file']}:{event['line']}" if event.get("file") else ""
        head = f"ERROR in ({event.get('sn')}) {event.get('name')}: {event.get('exception')}{where}"
        return Text.assemble((head, "bold red"), "\n", event.get("traceback", "").rstrip("\n"))
    if kind == "run":
        status = event.get("status", "")
        return Text(RUN_MESSAGES.get(status, f"run {status}"), "bold red" if status == "error" else "bold")
    if kind == "dialog":
        return format_dialog(event)
    if kind == "notice":
        level = event.get("level", "INFO")
        return Text(f"{level}: {event.get('message', '')}", LEVEL_STYLES.get(level, "bold"))
    if kind == "directory":
        return format_directory_change(event)
    return None


def format_directory_change(event: dict) -> Text | None:
    """A change of the directory (``locate --watch``), in the words of ``seqtool locate --watch``;
    None for the listing, which the reply of ``locate --watch`` shows."""
    change = event["change"]
    if change == "listed":
        return None
    if "entry" not in event:
        return Text(f"{event['registry']} {change}" + (f": {event['why']}" if "why" in event else ""), "bold yellow")
    entry = Entry.from_dict(event["entry"])
    if change == "removed":
        return Text(f"removed {entry.name} ({event['why']})")
    return Text(f"{change} " + "  ".join(cell for cell in describe(entry) if cell))


def dialog_prompt(dialogs: list[dict]) -> str:
    """The prompt while dialogs wait for an answer: it offers the answers."""
    if not dialogs:
        return PROMPT
    waiting = ", ".join(f"dialog {d.get('sn')} {d.get('name')}" for d in dialogs)
    return f"(seq: {waiting}: answer SN perform|stop)>> "


PROMPT = "(seq)>> "


def format_dialog(event: dict) -> Text:
    sn, name = event.get("sn"), event.get("name")
    if event.get("action") == "resolved":
        return Text(f"dialog ({sn}) {name} answered: {event.get('answer')}", "bold")
    lines = [
        f"dialog ({sn}) {name}: {event.get('description', '')}",
        f"  condition: {event.get('condition_label', '')}    extra step: {event.get('step_label', '')}",
        f"  answer with: answer {sn} perform | answer {sn} stop",
    ]
    return Text("\n".join(lines), "bold yellow")


class OutputLines:
    """Whole lines out of the kernel's ``output`` events, which split text anywhere.

    A partial line waits for the rest, or for the next event of another kind.
    """

    def __init__(self) -> None:
        self._partial: dict[str, str] = {}

    def feed(self, event: dict) -> list[dict]:
        """The events to show in place of ``event``: output events hold whole lines only."""
        if event.get("kind") != "output":
            return [*self.flush(), event]
        stream = event.get("stream", "stdout")
        text = self._partial.pop(stream, "") + event.get("text", "")
        complete, _, rest = text.rpartition("\n")
        if rest:
            self._partial[stream] = rest
        return [{**event, "text": complete}] if complete else []

    def flush(self) -> list[dict]:
        pending = [{"kind": "output", "stream": stream, "text": text} for stream, text in self._partial.items()]
        self._partial.clear()
        return pending


class TreeView(protocol.Snapshot):
    """The protocol's snapshot model, with what the shell's completion and ``break`` read from it."""

    def state_of(self, sn: int | None) -> str | None:
        """The state of a node of the loaded scripts; None for others (the root and its own begin and
        end, which the shell does not show)."""
        root = self.current().get("root") or {}
        if sn == root.get("sn") or any(child["sn"] == sn for child in root.get("children", [])):
            return None
        node = self.node(sn)
        return node["state"] if node else None

    def serial_choices(self) -> list[tuple[str, str]]:
        """(serial number, "name STATE") pairs for tab completion."""
        return [(str(n["sn"]), f"{n['name']} {display_state(n['state'], n.get('flags', []))}") for n in self.nodes()]

    def name_choices(self) -> list[str]:
        return sorted({n["name"] for n in self.nodes() if n["name"] not in ("begin", "end")})

    def paused_nodes(self) -> list[Mapping]:
        return [n for n in self.nodes() if "PAUSE" in n.get("flags", [])]
