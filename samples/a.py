#!/usr/bin/env python3
"""
Simple example (A)

Executes function a() and b()
"""
import logging
import asyncio
from seq.lib.nodes import Sequence
from seq.lib import getUserLogger

#LOGGER = logging.getLogger(__name__)
LOGGER = getUserLogger()

async def a():
    """Simply a"""
    await asyncio.sleep(1)
    LOGGER.info("Ax")
    print("AAAA")
    return "A"

async def b():
    """b example
    """
    LOGGER.info("Bx")
    print("BBBB")
    return "B"

def create_sequence(*args, **kw):
    """Builds my example sequence"""
    myname = kw.pop('name', "Example A")
    return Sequence.create(a, b, name=myname, **kw)
