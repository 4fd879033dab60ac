"""A step that blocks the event loop (a time.sleep in a coroutine), then one that waits properly."""
import asyncio
import time

from seq.lib.nodes import Sequence


async def block():  # (a plain function would run in a worker thread)
    time.sleep(2.5)


async def expose():
    await asyncio.sleep(3600)


def create_sequence(*args, **kw):
    return Sequence.create(block, expose, name="blocking", **kw)
