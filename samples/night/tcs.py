"""The TCS sequencer of IRIS_ifsonly: points the telescope and tracks."""
from seq.lib import Sequence, getUserLogger

from seq.samples.night.hardware import simulate

LOGGER = getUserLogger()


async def slew():
    """Slew to the target"""
    await simulate(LOGGER, "slew", 2.0)


async def track():
    """Start tracking"""
    await simulate(LOGGER, "settle and track", 0.5, steps=1)


def create_sequence(*args, **kw):
    return Sequence.create(slew, track, name="TCS: point", **kw)
