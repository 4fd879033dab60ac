"""10,000 steps in 100 sectors of 100 steps each that run together (10,303 nodes): the GUI's size limit test."""
from seq.lib.nodes import Action, Parallel, Sequence


async def step():
    pass


def create_sequence(*args, **kw):
    sectors = [Parallel.create(*[Action(step, name=f"s{sector:02d}.{i:02d}") for i in range(100)],
                               name=f"sector{sector:02d}") for sector in range(100)]
    return Sequence.create(*sectors, name="ten_thousand", **kw)
