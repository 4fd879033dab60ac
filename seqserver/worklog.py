"""What the operators loaded, so that a fresh shell and kernel can be given it back.

The server restores a chain that died by replaying, in order, the successful
commands that changed the shell's settings (OTTO's, the instrument OBs are
checked against), then those that built the loaded work (scripts, OBs,
sessions, template variable values), then setting again the runtime flags the
live snapshot showed. Which command is which comes from the protocol's table
(``Command.restore``); an OB fetched from OTTO is loaded again from the file the
``fetch`` reply names in its data. Flags are taken from the snapshot, not from
the commands that set them, because they name nodes by serial number and the
snapshot is what the operators last saw.
"""
from __future__ import annotations

import shlex
from collections.abc import Callable

import protocol

# The command that sets each runtime flag on a node by serial number.
FLAG_COMMANDS = {"PAUSE": "pause", "SKIP": "skip"}


class WorkLog:
    """The command lines to replay on a fresh chain, oldest first: settings, then loaded work.

    ``on_change`` is called after each change (a sequence component saves the log).
    """

    def __init__(self) -> None:
        self._settings: list[str] = []  # outlive clear and init, which only drop what is loaded
        self._lines: list[str] = []
        self.on_change: Callable[[], None] = lambda: None

    def record(self, line: str, reply: protocol.Reply) -> None:
        """Note a command the chain has answered."""
        if self._note(line, reply):
            self.on_change()

    def _note(self, line: str, reply: protocol.Reply) -> bool:
        """Whether ``line`` changed the log."""
        if not reply.ok:
            return False
        try:
            command, words = protocol.lookup(line)
        except protocol.CommandLineError:
            return False
        if command is None or command.restore is None:
            return False
        if command.restore == protocol.SETTING:
            if command.only_shows(words):
                return False
            self._settings.append(line.strip())
        elif command.restore == protocol.FORGET:
            self._lines.clear()
        elif command.name == "fetch":
            # An OB fetched from OTTO is kept in a file and loaded from there: replay that load.
            self._lines.append(shlex.join(["ob", reply.data["ob_file"]]))
        else:
            self._lines.append(line.strip())
        return True

    def settings(self) -> list[str]:
        return list(self._settings)

    def lines(self) -> list[str]:
        return list(self._lines)

    def replace(self, settings: list[str], lines: list[str]) -> None:
        """Start from what an earlier server of the same sequence component saved."""
        self._settings, self._lines = list(settings), list(lines)

    def forget(self) -> None:
        self._settings.clear()
        self._lines.clear()
        self.on_change()
