"""``seqtool audit``: who changed what on the sequencer servers, when, and how it ended.

Reads the audit logs the servers of this user write (:mod:`seqserver.audit`),
rotated ones included, and prints their entries in time order, filtered.
Times are UTC, as the logs keep them; ``--since 03:10`` means today at 03:10 UTC.
"""
from __future__ import annotations

import argparse
import json
import pathlib
import sys
from datetime import datetime, time, timezone

from seqserver.audit import audit_directory, log_files, read_entries

CHANGES = ("command", "refused")  # what is shown without --connections


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--file", type=pathlib.Path, action="append", metavar="PATH",
                        help="read this audit log (a server's --audit-log); repeat for more [default: every log "
                        "in ~/.local/state/seq/audit]")
    parser.add_argument("--port", type=int, metavar="PORT", help="only the server listening on this port")
    parser.add_argument("--since", type=_moment, metavar="TIME",
                        help="entries from this time on: 2026-12-07T03:10, or 03:10 for today (UTC unless the "
                        "time says its offset)")
    parser.add_argument("--until", type=_moment, metavar="TIME", help="entries before this time (as --since)")
    parser.add_argument("--client", metavar="NAME", help="only this client (its hello's name: seqshell, seqgui...)")
    parser.add_argument("--token", metavar="NAME", help="only this token's name (the token file's NAME column)")
    parser.add_argument("--command", metavar="WORD", help="only this command (abort, load, otto...)")
    parser.add_argument("--connections", action="store_true", help="show clients connecting and leaving, too")
    parser.add_argument("--json", action="store_true", help="print the entries as they are logged, one a line")


def main(args: argparse.Namespace) -> int:
    if missing := [str(path) for path in args.file or () if not path.is_file()]:
        print(f"seqtool audit: no such file: {', '.join(missing)}", file=sys.stderr)
        return 1
    paths = [path for given in args.file for path in _with_rotated(given)] if args.file else \
        log_files(port=args.port)
    if not paths:
        print(f"seqtool audit: no audit log in {audit_directory()} (servers write theirs there unless started "
              "with --audit-log PATH: name it with --file)", file=sys.stderr)
        return 1
    entries, problems = read_entries(paths)
    for problem in problems:
        print(f"seqtool audit: {problem}", file=sys.stderr)
    for entry in filter(lambda entry: _wanted(entry, args), entries):
        print(json.dumps(entry) if args.json else describe(entry))
    return 0


def describe(entry: dict) -> str:
    """One entry as a line for people: when, who (token and role), which client from where, what."""
    when = entry["ts"].replace("T", " ")[:19] + "Z"
    who = f"{entry.get('token', '?')} ({entry.get('role', '?')})"
    where = f"{entry.get('client', '?')} from {entry.get('peer', '?')}"
    kind = entry.get("event")
    if kind == "command":
        outcome = "ok" if entry.get("ok") else f"failed: {entry.get('error', '')}"
        what = f"{entry.get('line', '')}  -> {outcome}"
    elif kind == "refused":
        what = f"{entry.get('line', '')}  -> refused: needs {entry.get('needs', '?')}"
    else:
        what = f"[{kind}]"
    return f"{when}  {who}  {where}  {what}"


def _wanted(entry: dict, args: argparse.Namespace) -> bool:
    moment = datetime.fromisoformat(entry["ts"].replace("Z", "+00:00"))
    words = entry.get("line", "").split()
    return ((args.connections or entry.get("event") in CHANGES)
            and (args.since is None or moment >= args.since)
            and (args.until is None or moment < args.until)
            and (args.client is None or entry.get("client") == args.client)
            and (args.token is None or entry.get("token") == args.token)
            and (args.command is None or words[:1] == [args.command]))


def _moment(text: str) -> datetime:
    """A time given on the command line: a date and time, or a time of today; UTC unless it says."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        try:
            moment = datetime.combine(datetime.now(timezone.utc).date(), time.fromisoformat(text))
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a time: {text!r} (2026-12-07T03:10, or 03:10)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _with_rotated(path: pathlib.Path) -> list[pathlib.Path]:
    """A log given by name, and the files it was rotated into (``PATH.1``, ``PATH.2``...)."""
    return [path, *sorted(path.parent.glob(path.name + ".*"))]
