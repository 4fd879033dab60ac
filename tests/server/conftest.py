"""Fixtures for the server's tests: a real server, shell and kernel per test."""
import pytest

from server_harness import running_server


@pytest.fixture
async def server():
    async with running_server() as running:
        yield running
