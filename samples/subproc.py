"""Invoke other processes (manual 6.1), detached from the sequencer's stdin and stdout.

The manual starts ``eog`` (an image viewer); this sample runs ``true`` instead,
which exists everywhere, needs no display and ends at once.
"""
from seq.lib.nodes import Sequence
import asyncio

async def proc_a():
    print("A")

async def proc_b():
    proc = await asyncio.create_subprocess_shell('true', stdin=asyncio.subprocess.DEVNULL,
                                                 stdout=asyncio.subprocess.DEVNULL)
    return await proc.wait()

def create_sequence(*args, **kw):
    return Sequence.create(proc_a, proc_b)
