"""200 steps of 5 ms each: events at the pace of real work (for the latency benchmark)."""
import asyncio

from seq.lib.nodes import Action, Sequence

STEPS = 200


async def work():
    await asyncio.sleep(0.005)


def create_sequence(*args, **kw):
    return Sequence.create(*(Action(work, name=f"step{i}") for i in range(STEPS)), name="paced_steps", **kw)
