"""A night's start-up in miniature, for the timeline: steps of different lengths, some side by
side, a loop, and a check that fails at the end, while its neighbour is still working."""
import asyncio

from seq.lib.nodes import Loop, Parallel, Sequence


async def power_on():
    """Power the instrument on."""
    await asyncio.sleep(0.15)


async def cool_detector():
    """Cool the detector down."""
    await asyncio.sleep(0.5)


async def open_dome():
    await asyncio.sleep(0.25)


async def home_axes():
    await asyncio.sleep(0.35)


async def take_flat():
    await asyncio.sleep(0.05)


async def check_guiding():
    await asyncio.sleep(0.1)
    raise RuntimeError("no guide star")


async def log_weather():
    await asyncio.sleep(1)


def three_flats():
    return Loop.index.get() < 3


def create_sequence(*args, **kw):
    flats = Loop.create(take_flat, condition=three_flats, name="flats")
    return Sequence.create(
        power_on,
        Parallel.create(cool_detector, open_dome, home_axes, name="prepare"),
        flats,
        Parallel.create(check_guiding, log_weather, name="verify"),
        name="night",
        **kw,
    )
