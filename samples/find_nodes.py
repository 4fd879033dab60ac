"""Finding nodes (manual 5.7), listing 11 as printed: the Sequence ``s`` is built when the module is imported.

Where the listing writes ``...``, this sample imports ``Action`` and defines the
node ``id1`` that the listing does not show; ``create_sequence`` puts both
before ``s``.
"""
from seqlib.nodes import Sequence, find_node
from seqlib.nodes import Action


async def id1():
    return 41


async def do_a():
    # find node `id1` (not shown) starting at root and get its result.
    _, node = find_node(Sequence.root.get(), "id1")
    print("the other node result", node.result)
    return node.result + 1; # or something  # noqa: E703

async def do_b():
    # find do_a's result
    _, node_a = find_node(Sequence.current_seq.get(), "id_do_a")
    return node_a.result + 1; # or do something else  # noqa: E703

# Given a Sequence s
s = Sequence.create(Action(do_a, id="id_do_a"), do_b)


def create_sequence(*args, **kw):
    return Sequence.create(Action(id1, id="id1"), s, **kw)
