#!/usr/bin/env python3
"""
Shows variables


"""
import sys, inspect
import logging
import asyncio
from seq.lib.nodes import Sequence, Parallel, Template
from seq.lib.nodes import Action as _a
from seq.lib.nodes import ActionInThread as _ait
from seq.lib import logConfig
from seq.lib.nodes import get_param

# The manual's listing also imports tkinter here; nothing uses it, and a
# headless instrument host may not have it, so the import is left out.


logger = logging.getLogger(__name__)

__seq_params__ = {"par_b": 11, "par_c": 22}

class Tpl:

    async def do_sum(self):
        """Adds two integers"""
        parb = get_param("par_b")
        parc = get_param("par_c")

        logger.debug("Node sum")
        logger.info(
            "xSUM {} + {} = {}".format(parb, parc, parb+parc))
        await asyncio.sleep(1)
        return parb + parc

    async def delay(self):
        """Waits a sec"""
        logger.debug("sleep a bit")
        await asyncio.sleep(1)

    @staticmethod
    def create(*args, **kw):
        """Adds two variables"""
        a = Tpl()
        return Sequence.create(
            a.do_sum,
            a.delay,
            name="TPL_SUM Example", **kw)
