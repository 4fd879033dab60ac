"""One step that returns at once: the least a run can be (the GUI benchmark's idle page watches it)."""
from seq.lib.nodes import Sequence


async def step():
    pass


def create_sequence(*args, **kw):
    return Sequence.create(step, name="one_step", **kw)
