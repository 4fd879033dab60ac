"""Serial numbers and generated ids of nodes.

Serial numbers are what an operator types (``skip 3``). Each engine numbers the
nodes of the scripts it loads from 1 (its root) upwards, so the numbers match
the manual's listings; nodes built elsewhere draw from a process-wide counter.
"""
import itertools
import random
import string
from contextvars import ContextVar

_process_counter = itertools.count(1)
_counter: ContextVar = ContextVar("serial_counter", default=_process_counter)
_ALPHABET = string.ascii_letters + string.digits
_random = random.Random()


def next_serial() -> int:
    return next(_counter.get())


def use_counter(counter):
    """Make nodes built in the current context draw serial numbers from ``counter``."""
    return _counter.set(counter)


def restore_counter(token):
    _counter.reset(token)


def new_id(name: str, length: int = 10) -> str:
    """A node id as the manual shows them, e.g. ``Sequence_3j7VG0YWmM``."""
    return f"{name}_{''.join(_random.choices(_ALPHABET, k=length))}"
