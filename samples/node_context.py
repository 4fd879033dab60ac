"""Nodes have context (manual 5.8): one dictionary shared by every node of a script."""
from seq.lib.nodes import ActionInThread, Sequence

async def do_a():
    ctx = Sequence.get_context()
    ctx["do_a"] = 1

def do_b():
    ctx = Sequence.get_context()
    ctx["do_b"] = 1

def create_sequence(*args, **kw):
    # creates the sequence
    return Sequence.create(do_a, ActionInThread(do_b), **kw)
