"""An engineering script of ordinary size: 200 groups of 10 parallel steps (2,603 nodes).

The ELT's primary mirror alone has 798 segments; scripts that act on each one
are this large. Every step returns at once, so the run is a flood of events.
"""
from seq.lib.nodes import Action, Parallel, Sequence

GROUPS = 200
STEPS = 10


async def move():
    """Move one actuator."""


def create_sequence(*args, **kw):
    groups = (Parallel.create(*(Action(move, name=f"actuator{g}.{s}") for s in range(STEPS)), name=f"group{g}")
              for g in range(GROUPS))
    return Sequence.create(*groups, name="engineering", **kw)
