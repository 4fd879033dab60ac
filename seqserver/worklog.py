"""What the operators loaded, so that a fresh shell and kernel can be given it back.

The server restores a chain that died by replaying, in order, the successful
commands that changed the shell's settings (OTTO's, the instrument OBs are
checked against), then those that built the loaded work (scripts, OBs,
sessions, template variable values; an OB fetched from OTTO is loaded again from
the file it was kept in), then setting again the runtime flags the live snapshot showed. Flags
are taken from the snapshot, not from the commands that set them, because they
name nodes by serial number and the snapshot is what the operators last saw.
"""
from __future__ import annotations

import re
import shlex

# Commands whose effect is loaded work, replayed as typed.
REPLAYED = frozenset({"load", "ob", "obdata", "session", "setvar"})
# Commands after which nothing is loaded any more.
FORGETTING = frozenset({"clear", "init"})
# How the kernel confirms an OB loaded from a file (``fetch`` does that after keeping the OB).
FETCHED_OB = re.compile(r"^loaded OB (.+?): \(\d+\) ", re.MULTILINE)
# The command that sets each runtime flag on a node by serial number.
FLAG_COMMANDS = {"PAUSE": "pause", "SKIP": "skip"}


def verb(line: str) -> str:
    words = line.split(maxsplit=1)
    return words[0] if words else ""


def is_setting(line: str) -> bool:
    """A command that changes a setting of the shell (``otto set ...``, ``instrument INSID``)."""
    words = line.split()
    return words[:2] == ["otto", "set"] or (words[:1] == ["instrument"] and len(words) > 1)


class WorkLog:
    """The command lines to replay on a fresh chain, oldest first: settings, then loaded work."""

    def __init__(self) -> None:
        self._settings: list[str] = []  # outlive clear and init, which only drop what is loaded
        self._lines: list[str] = []

    def record(self, line: str, ok: bool, output: str = "") -> None:
        """Note a command the chain has answered (``ok``: it succeeded; ``output``: its text)."""
        if not ok:
            return
        if is_setting(line):
            self._settings.append(line.strip())
        elif verb(line) in REPLAYED:
            self._lines.append(line.strip())
        elif verb(line) in FORGETTING:
            self._lines.clear()
        elif verb(line) == "fetch":
            # An OB fetched from OTTO is kept in a file and loaded from there: replay that load.
            self._lines.extend(f"ob {shlex.quote(path)}" for path in FETCHED_OB.findall(output))

    def settings(self) -> list[str]:
        return list(self._settings)

    def lines(self) -> list[str]:
        return list(self._lines)

    def forget(self) -> None:
        self._settings.clear()
        self._lines.clear()
