"""
Implements a loop.
The condition checks Loop's index < 3.
"""

import asyncio
import logging
import random
from seq.lib.nodes import Loop

logger = logging.getLogger(__name__)

class Tpl: # Mandatory class name
    async def a(self):
        """sleeps up to 1 second"""
        t = random.random() # 0..1
        await asyncio.sleep(t)
        logger.info(".. done A: %d", Loop.index.get())

    async def b(self):
        """sleeps up to 1 second"""
        t = random.random() # 0..1
        await asyncio.sleep(t)
        logger.info(" .. done B: %d", Loop.index.get())

    async def c(self):
        pass

    async def check_condition(self):
        """
        The magic of contextvars in asyncio
        Loop.index is local to each asyncio task
        """
        logger.info("Loop index: %d", Loop.index.get())
        return Loop.index.get() < 3

    @staticmethod
    def create(**kw):
        t = Tpl()
        l = Loop.create(t.a, t.b, t.c,
                      condition=t.check_condition, **kw)

        return l
