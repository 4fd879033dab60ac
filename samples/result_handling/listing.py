"""Listing 10 of the manual (5.6), as printed; run ``test_result()`` under asyncio or trio.

The listing elides the import of ``Sequence`` and ``Parallel`` ("..."); it is
the one line added here.
"""
from seqlib.ob import OB
# reuse some sequence ...
from . import test_a as a
from seqlib.nodes import Parallel, Sequence

async def mystep():
    """Sets current Sequence's result"""
    s = Sequence.current_seq.get()
    s.result = 0

async def test_result():
    tpa = OB.create_sequence(a)
    sc = Parallel.create(tpa, mystep)
    await sc.start()
    assert sc.result == 0
