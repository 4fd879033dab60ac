"""The reliability suite drives the real processes with the server's test harness."""
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "server"))

import pytest  # noqa: E402

from server_harness import running_server  # noqa: E402


@pytest.fixture
async def server(tmp_path, monkeypatch):
    """A real server (with its shell and kernel) whose session directories go to tmp_path."""
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    async with running_server() as running:
        yield running
