"""A template of IRIS: ``nexp`` exposures of ``exptime`` seconds each, with their progress."""
from seq.lib import Loop, Sequence, get_param, getUserLogger

from seq.samples.night.hardware import simulate

LOGGER = getUserLogger()

__seq_params__ = {"exptime": 2.0, "nexp": 3}


async def expose():
    """Take one exposure"""
    number = Loop.index.get() + 1
    await simulate(LOGGER, f"exposure {number}/{get_param('nexp')} of {get_param('exptime')} s",
                   float(get_param("exptime")))


def more():
    return Loop.index.get() < int(get_param("nexp"))


def create_sequence(*args, **kw):
    return Sequence.create(Loop.create(expose, condition=more, name="exposures"), name="IRIS: expose", **kw)
