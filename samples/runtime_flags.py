"""Runtime flags (manual 5.3), the listing as printed: its nodes are built when the module is imported.

``a`` is used in two places: ``_pause(a)`` and ``_skip(a)`` are two nodes, one
paused and one skipped. The listing shows no constructor; ``create_sequence``
hands the engine its Sequence ``s``.
"""
from seq.lib import _pause, _skip, Sequence

async def a():
    pass

def b():
    pass

node1 = _pause(a);  # noqa: E703 (as printed)
node2 = _skip(b);  # noqa: E703

s = Sequence.create(node1, node2, _skip(a))


def create_sequence(*args, **kw):
    return s
