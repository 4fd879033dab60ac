"""A step that blocks the kernel's event loop for a minute: only a signal or a kill ends it sooner."""
import time

from seq.lib.nodes import Sequence


async def block_for_a_minute():  # (a plain function would run in a worker thread)
    time.sleep(60)


def create_sequence(*args, **kw):
    return Sequence.create(block_for_a_minute, name="stuck_loop", **kw)
