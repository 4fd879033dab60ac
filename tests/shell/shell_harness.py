"""Drive the real shell: through a pipe, and in a real terminal (tmux)."""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import textwrap
import time
import uuid

import pytest

SHELL = [sys.executable, "-m", "seqshell"]
TIMEOUT = 60

# A script whose step ends its kernel process abruptly, with exit status 3.
DYING_SCRIPT = """
import os
from seq.lib.nodes import Sequence

async def die():
    os._exit(3)

def create_sequence(*args, **kw):
    return Sequence.create(die, name="dying")
"""


def run_shell(commands: str, *args: str, cwd, timeout: float = TIMEOUT) -> subprocess.CompletedProcess:
    """Pipe ``commands`` (one per line) into a fresh shell running in ``cwd`` and wait until it exits.

    Its session directory goes under ``cwd`` too (TMPDIR), so tests leave nothing in /tmp.
    """
    return subprocess.run(
        [*SHELL, *args],
        check=False,
        input=textwrap.dedent(commands).lstrip(),
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        env={**os.environ, "TMPDIR": str(cwd)},
    )


def serial_numbers(tmp_path, module: str) -> dict[str, int]:
    """Node name → serial number once ``module`` is loaded in a fresh kernel (numbering is deterministic)."""
    listing = run_shell(f"load {module}\nnodes\n", cwd=tmp_path).stdout
    return {name: int(sn) for sn, name in re.findall(r"^ *\w[-+]- \((\d+)\) (\S+) ", listing, re.MULTILINE)}


def unused_port() -> int:
    """A port on 127.0.0.1 where nothing listens (it was free a moment ago)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def session_dir(stdout: str) -> str:
    match = re.search(r"session directory: (\S+)", stdout)
    assert match, stdout
    return match.group(1)


class Terminal:
    """A program in a real terminal: a tmux pane on a private tmux server."""

    def __init__(self, command: list[str], cwd: str, width: int = 160, height: int = 50) -> None:
        self.socket = f"seqtest-{uuid.uuid4().hex[:8]}"
        self._tmux("new-session", "-d", "-s", "t", "-x", str(width), "-y", str(height), "-c", cwd,
                   "env", f"PYTHONPATH={os.environ.get('PYTHONPATH', '')}", f"TMPDIR={cwd}", *command)
        self._tmux("set-option", "-t", "t", "remain-on-exit", "on")

    def _tmux(self, *args: str) -> str:
        return subprocess.run(["tmux", "-L", self.socket, *args], check=True, capture_output=True,
                              text=True).stdout

    def type(self, text: str, enter: bool = True) -> None:
        self._tmux("send-keys", "-t", "t", "-l", text)
        if enter:
            self._tmux("send-keys", "-t", "t", "Enter")

    def press(self, key: str) -> None:
        """Press a key by its tmux name (Tab, Enter, C-c...)."""
        self._tmux("send-keys", "-t", "t", key)

    def screen(self) -> str:
        return self._tmux("capture-pane", "-p", "-J", "-t", "t", "-S", "-2000")

    def wait_for(self, pattern: str, timeout: float = 20.0) -> str:
        """Poll the screen until ``pattern`` (a regex) appears; the screen, or a failure showing it."""
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if re.search(pattern, screen, re.MULTILINE):
                return screen
            if time.monotonic() > deadline:
                pytest.fail(f"{pattern!r} did not appear within {timeout} s; screen:\n{screen}")
            time.sleep(0.05)

    def pid(self) -> int:
        """The process running in the pane."""
        return int(self._tmux("display-message", "-p", "-t", "t", "#{pane_pid}"))

    def close(self) -> None:
        """Close the terminal: what runs in it gets SIGHUP, as when a terminal window is closed."""
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], check=False, capture_output=True)
