"""Runtime flags set by the script itself (manual 5.3): node1 pauses, node2 and the last one are skipped."""
from seq.lib import _pause, _skip, Sequence
from seq.lib import RTFLAG, set_runtime_flag
from seq.lib.nodes import Action

async def a():
    pass

def b():
    pass

def f():
    """Runs, then its PAUSE flag is cleared again"""

def create_sequence(*args, **kw):
    node1 = _pause(a)
    node2 = _skip(b)
    node = Action(f)
    set_runtime_flag(node, RTFLAG.PAUSE)
    set_runtime_flag(node, RTFLAG.PAUSE, False)
    return Sequence.create(node1, node2, _skip(a), node, **kw)
