"""The IRIS sequencer of IRIS_ifsonly: sets the integral field spectrograph up for the mode.

The exposures come as an OB from the ESW sequencer (``iris_exposures.json``).
"""
from seq.lib import Sequence, getUserLogger

from seq.samples.night.hardware import simulate

LOGGER = getUserLogger()


async def filter_wheel():
    """Move the filter wheel to Hbb"""
    await simulate(LOGGER, "filter wheel to Hbb", 1.0)


async def grating():
    """Set the grating for Hbb"""
    await simulate(LOGGER, "grating to Hbb", 1.0)


def create_sequence(*args, **kw):
    return Sequence.create(filter_wheel, grating, name="IRIS: IFS set up", **kw)
