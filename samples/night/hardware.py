"""What the sample scripts do instead of moving real hardware: wait as long as it would take,
logging the progress as a device would report it."""
import asyncio
import logging

from seq.lib import simulating


class NoHardware(RuntimeError):
    """The sample drives no real device: its component must run in simulation mode."""


async def simulate(logger: logging.Logger, what: str, seconds: float, steps: int = 4) -> None:
    """``what`` takes ``seconds``, in ``steps`` logged steps (percent done); refused outside simulation."""
    if not simulating():
        raise NoHardware(f"{what}: this sample has no hardware to drive; start its component with --simulation")
    for step in range(1, steps + 1):
        await asyncio.sleep(seconds / steps)
        logger.info("%s: %d %%", what, 100 * step // steps)
