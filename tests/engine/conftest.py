"""Fixtures for engine tests: an open engine that records everything it publishes.

Engine tests run the way the kernel runs the engine: trio as the guest of an
asyncio loop (``seqkernel.host.run``). A test marked ``trio_alone`` runs under
``trio.run`` instead, as a trio program embedding the engine would.
"""
import inspect
import pathlib

import pytest
import trio

from seqkernel import host
from seqkernel.engine import Engine

HERE = pathlib.Path(__file__).resolve().parent


def pytest_configure(config):
    config.addinivalue_line("markers", "trio_alone: run this engine test under trio.run, with no asyncio loop")


def pytest_collection_modifyitems(config, items):
    for item in items:
        coroutine_test = inspect.iscoroutinefunction(getattr(item, "obj", None))
        if coroutine_test and HERE in item.path.parents and not item.get_closest_marker("trio_alone"):
            item.add_marker(pytest.mark.trio(run=host.run), append=False)


class Recorder:
    """Keeps every published record, and answers questions tests ask about them."""

    def __init__(self):
        self.records = []
        self._arrived = trio.Event()

    def __call__(self, record):
        self.records.append(record)
        self._arrived.set()

    async def until(self, predicate, timeout=5):
        """Wait until a record satisfying ``predicate`` has been published; returns it."""
        with trio.fail_after(timeout):
            seen = 0
            while True:
                for record in self.records[seen:]:
                    if predicate(record):
                        return record
                seen = len(self.records)
                self._arrived = trio.Event()
                await self._arrived.wait()

    async def until_state(self, node, state):
        return await self.until(lambda r: r["kind"] == "state" and r["sn"] == node.sn and r["state"] == state)

    def of(self, kind):
        return [r for r in self.records if r["kind"] == kind]

    def messages(self, logger=None):
        return [r["message"] for r in self.of("log") if logger is None or r["logger"] == logger]

    def states_of(self, sn):
        return [r["state"] for r in self.of("state") if r["sn"] == sn]


@pytest.fixture
async def engine():
    recorder = Recorder()
    async with Engine.open(publish=recorder) as opened:
        opened.recorder = recorder
        yield opened

