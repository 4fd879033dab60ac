"""A step that starts a helper process, says its pid, and waits: what a script leaves running."""
import asyncio
import subprocess

from seq.lib import getUserLogger
from seq.lib.nodes import Sequence

LOGGER = getUserLogger()


async def start_helper():
    helper = subprocess.Popen(["sleep", "1000"])
    LOGGER.info("helper pid %d", helper.pid)
    await asyncio.sleep(3600)


def create_sequence(*args, **kw):
    return Sequence.create(start_helper, name="starts_helper", **kw)
