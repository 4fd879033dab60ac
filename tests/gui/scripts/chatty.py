"""A step that logs 15,000 lines, a thousand at a time: more than the page's Logs tab keeps."""
import asyncio
import logging

from seq.lib.nodes import Sequence

LOGGER = logging.getLogger("chatty")


async def chatter():
    for line in range(15_000):
        LOGGER.info("line %05d", line)
        if line % 1000 == 999:
            await asyncio.sleep(0.05)


def create_sequence(*args, **kw):
    return Sequence.create(chatter, name="chatty", **kw)
