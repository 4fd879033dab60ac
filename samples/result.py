"""Result handling (manual 5.6) and finding nodes (manual 5.7).

``mystep`` sets the result of the container that holds it; ``do_a`` and
``do_b`` find other nodes by id and use their results.
"""
from seq.lib.nodes import Action, Parallel, Sequence, find_node
from seq.lib.ob import OB
# reuse some sequence ...
from . import a

async def mystep():
    """Sets current Sequence's result"""
    s = Sequence.current_seq.get()
    s.result = 0

async def id1():
    return 41

async def do_a():
    # find node `id1` starting at root and get its result.
    _, node = find_node(Sequence.root.get(), "id1")
    print("the other node result", node.result)
    return node.result + 1

async def do_b():
    # find do_a's result
    _, node_a = find_node(Sequence.current_seq.get(), "id_do_a")
    return node_a.result + 1

def create_sequence(*args, **kw):
    tpa = OB.create_sequence(a)
    lookups = Sequence.create(Action(id1, id="id1"), Action(do_a, id="id_do_a"), Action(do_b, id="id_do_b"))
    return Parallel.create(tpa, mystep, lookups, **kw)
