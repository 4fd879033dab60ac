"""A module that takes a while to import (a slow instrument library, say)."""
import time

from seq.lib.nodes import Sequence

time.sleep(1.5)


async def step():
    pass


def create_sequence(*args, **kw):
    return Sequence.create(step, name="slow_import", **kw)
