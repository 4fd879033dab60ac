"""Passing arguments to steps with partial functions (manual 5.1, 5.2).

``seq.lib.partial`` keeps the wrapped function's name and docstring, so the
nodes are named ``add`` and described by ``add``'s docstring.
"""
from seq.lib import partial
from seq.lib.nodes import Sequence, ActionInThread

def f(a,b,c):
    return a+b+c

g = partial(f,1,2) # creates new function g()
assert g(3) == f(1, 2, 3)
assert g(9) == f(1, 2, 9)

async def add(x, y):
    """Adds two numbers"""
    return x + y

def create_sequence(*args, **kw):
    return Sequence.create(partial(add, 1, 2), ActionInThread(partial(g, 4)), **kw)
