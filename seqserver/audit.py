"""The audit trail: who changed what, from where, when, and how it ended.

A server appends one JSON line per entry: every command that changes anything
(every command an observer may not send, with its outcome), every command
refused for want of a role, and each client's arrival and departure. An entry
names the client, its peer address, its role and its token's name (never the
token). The standard library's ``RotatingFileHandler`` rotates the file
(``--audit-max-bytes``, ``--audit-backups``), and ``seqtool audit`` reads it
back (:mod:`seqserver.audit_tool`). Each server writes its own file, named after
its port in the state directory, so that two servers never rotate one file.
"""
from __future__ import annotations

import json
import logging
import logging.handlers
import os
import pathlib
from dataclasses import dataclass

import structlog

from seqclient.access import state_directory

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_BACKUPS = 9  # rotated files kept beside the current one
LINE_LIMIT = 500  # characters of a command line kept in an entry
ERROR_LIMIT = 300  # characters of a command's error kept in an entry


def audit_directory() -> pathlib.Path:
    """Where servers keep their audit logs unless told otherwise (``seqtool audit`` looks here)."""
    return state_directory() / "audit"


def default_audit_path(port: int) -> pathlib.Path:
    return audit_directory() / f"seqserver-{port}.jsonl"


@dataclass(frozen=True)
class AuditOptions:
    """Where a server keeps its audit log (default: named after its port, in the state directory)
    and how much of it."""

    path: pathlib.Path | None = None
    max_bytes: int = DEFAULT_MAX_BYTES
    backups: int = DEFAULT_BACKUPS

    def open(self, port: int, server: str) -> AuditLog:
        return AuditLog(self.path or default_audit_path(port), server=server, max_bytes=self.max_bytes,
                        backups=self.backups)


class AuditLog:
    """One server's audit log, appended to and rotated as it grows."""

    def __init__(self, path: str | os.PathLike, *, server: str, max_bytes: int = DEFAULT_MAX_BYTES,
                 backups: int = DEFAULT_BACKUPS) -> None:
        self.path = pathlib.Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.path.touch(mode=0o600, exist_ok=True)  # readable by the server's user only, from the first entry
        self._handler = logging.handlers.RotatingFileHandler(self.path, maxBytes=max_bytes, backupCount=backups,
                                                             encoding="utf-8")
        writer = logging.Logger("seq.audit")  # not the process's logging tree: nothing else writes here
        writer.propagate = False
        writer.addHandler(self._handler)
        self._log = structlog.wrap_logger(
            writer, processors=[structlog.processors.TimeStamper(fmt="iso", utc=True, key="ts"),
                                structlog.processors.JSONRenderer(sort_keys=False)],
        ).bind(server=server)

    def connected(self, who: dict) -> None:
        self._log.info("connected", **who)

    def disconnected(self, who: dict) -> None:
        self._log.info("disconnected", **who)

    def command(self, who: dict, line: str, *, ok: bool, error: str = "", duration: float) -> None:
        """A command that changed (or tried to change) something, and how it ended."""
        self._log.info("command", **who, line=_cut(line, LINE_LIMIT), ok=ok, error=_cut(error, ERROR_LIMIT),
                       duration=round(duration, 4))

    def refused(self, who: dict, line: str, needs: str) -> None:
        """A command the client's role does not allow."""
        self._log.info("refused", **who, line=_cut(line, LINE_LIMIT), needs=needs)

    def close(self) -> None:
        self._handler.close()


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def log_files(directory: pathlib.Path | None = None, port: int | None = None) -> list[pathlib.Path]:
    """The audit logs in ``directory`` (default: the state directory's), rotated ones included."""
    directory = directory or audit_directory()
    pattern = f"seqserver-{port}.jsonl*" if port is not None else "seqserver-*.jsonl*"
    return sorted(directory.glob(pattern))


def read_entries(paths: list[pathlib.Path]) -> tuple[list[dict], list[str]]:
    """(the entries of these logs in time order, a problem for each line that is not an entry)."""
    entries, problems = [], []
    for path in paths:
        with open(path, encoding="utf-8", errors="replace") as lines:
            for number, line in enumerate(lines, start=1):
                try:
                    entry = json.loads(line)
                    if not isinstance(entry, dict) or not isinstance(entry.get("ts"), str):
                        raise ValueError("not an entry")
                except ValueError:
                    problems.append(f"{path}, line {number}: not an audit entry")
                    continue
                entries.append(entry)
    entries.sort(key=lambda entry: entry["ts"])
    return entries, problems
