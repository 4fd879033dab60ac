"""``seqtool locate [PATTERN] [--watch]``: show the directory of components and sequencers."""
from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime

import trio

from seqlocation.directory import open_directory
from seqlocation.entry import REMOVED, Change, Entry
from seqlocation.errors import LocationError
from seqlocation.names import COMPONENT
from seqlocation.selection import add_registry_argument

PRESENT = "present"  # --json --watch: an entry there when watching began


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "pattern",
        nargs="?",
        metavar="PATTERN",
        help="show only these names: a glob (IRIS@*) or a part of the name (IRIS, ifsonly); "
        "TMT's IRIS.IRIS_ifsonly finds IRIS@IRIS_ifsonly",
    )
    parser.add_argument(
        "--watch",
        action="store_true",
        help="then print registrations, changes and removals (and why) as they happen, until interrupted",
    )
    parser.add_argument("--json", action="store_true", help="print JSON (with --watch, one object a line)")
    add_registry_argument(parser)


def main(args: argparse.Namespace) -> int:
    try:
        trio.run(_locate, args)
    except LocationError as exc:
        print(f"seqtool locate: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        pass
    return 0


async def _locate(args: argparse.Namespace) -> None:
    async with open_directory(args.redis) as directory:
        if not args.watch:
            entries = await directory.entries(args.pattern)
            if args.json:
                _print(json.dumps([entry.to_dict() for entry in entries], indent=2))
            else:
                _print_table(entries, directory.address, args.pattern)
            return
        async with directory.watch(args.pattern) as watcher:
            entries = sorted(watcher.entries.values(), key=lambda entry: entry.name)
            if args.json:
                for entry in entries:
                    _print(json.dumps({"change": PRESENT, "entry": entry.to_dict()}))
            else:
                _print_table(entries, directory.address, args.pattern)
                _print(f"watching {directory.address} (Ctrl-C to stop)")
            async for change in watcher:
                _print(_change_json(change) if args.json else _change_line(change))


def _print(text: str) -> None:
    print(text, flush=True)


def describe(entry: Entry) -> list[str]:
    """The columns of an entry: name, kind, state, address, and what it runs or runs on (and whether it simulates)."""
    if entry.kind == COMPONENT:
        relation = f"runs {entry.sequencer}" if entry.sequencer else ""
    else:
        relation = f"on {entry.component}" if entry.component else ""
    if entry.simulation:
        relation = f"{relation} (simulation)".lstrip()
    address = entry.address + (" (tls)" if entry.tls else "")
    return [entry.name, entry.kind, entry.state, address, relation]


def _print_table(entries: list[Entry], address: str, pattern: str | None) -> None:
    if not entries:
        matching = f" matching {pattern!r}" if pattern else ""
        _print(f"no component or sequencer{matching} in {address}")
        return
    for line in format_table([["NAME", "KIND", "STATE", "ADDRESS", ""], *(describe(entry) for entry in entries)]):
        _print(line)


def format_table(rows: list[list[str]]) -> list[str]:
    """Rows of cells as lines of aligned columns (the first row is the heading)."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]


def _change_line(change: Change) -> str:
    now = datetime.now().strftime("%H:%M:%S.%f")[:-3]
    if change.entry is None:
        return f"{now} registry {change.kind}: {change.why}"
    if change.kind == REMOVED:
        return f"{now} {change.kind} {change.entry.name} ({change.why})"
    return f"{now} {change.kind} " + "  ".join(cell for cell in describe(change.entry) if cell)


def _change_json(change: Change) -> str:
    return json.dumps({
        "change": change.kind,
        "why": change.why or None,
        "entry": change.entry.to_dict() if change.entry else None,
    })
