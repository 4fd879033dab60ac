"""A short preparation, a long exposure (until aborted), then read-out: runs that can be interrupted."""
import asyncio

from seq.lib.nodes import Sequence


async def prepare():
    pass


async def expose():
    """Integrate until aborted."""
    await asyncio.sleep(3600)


async def readout():
    pass


def create_sequence(*args, **kw):
    return Sequence.create(prepare, expose, readout, name="exposure", **kw)
