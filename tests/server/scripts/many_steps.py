"""10,000 no-op steps in one Sequence: the server's load tests and benchmark."""
from seq.lib.nodes import Action, Sequence

STEPS = 10_000


async def noop():
    pass


def create_sequence(*args, **kw):
    return Sequence.create(*(Action(noop, name=f"step{i}") for i in range(STEPS)), name="many_steps", **kw)
