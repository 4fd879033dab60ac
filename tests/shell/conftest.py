"""Fixtures for the shell's tests."""
import os
import pathlib
import re
import subprocess
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "server"))  # server_harness's helpers

import pytest  # noqa: E402
from shell_harness import SHELL, Terminal  # noqa: E402


@pytest.fixture
def terminal(tmp_path):
    terminals = []

    def start(command: list[str] = SHELL) -> Terminal:
        term = Terminal(command, cwd=str(tmp_path))
        terminals.append(term)
        return term

    yield start
    for term in terminals:
        term.close()


@pytest.fixture
def server_address(tmp_path):
    """A real seqserver (its own shell and kernel) running in tmp_path; yields its HOST:PORT."""
    server = subprocess.Popen(
        [sys.executable, "-m", "seqserver", "--address", "127.0.0.1:0"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=tmp_path,
        env={**os.environ, "TMPDIR": str(tmp_path)},
    )
    try:
        line = server.stdout.readline()  # blocks until the server listens (or exits)
        match = re.search(r"listening on (\S+)", line)
        assert match, f"the server did not start: {line!r}"
        yield match.group(1)
    finally:
        server.terminate()
        server.wait(timeout=30)
