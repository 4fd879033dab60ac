"""A step in a worker thread that never returns (it polls a device that never answers)."""
import time

from seq.lib.nodes import ActionInThread, Sequence


def poll_forever():
    while True:
        time.sleep(0.05)


def create_sequence(*args, **kw):
    return Sequence.create(ActionInThread(poll_forever, name="poll_forever"), name="stuck", **kw)
