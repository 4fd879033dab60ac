"""``fetch``: the shell's side of OTTO, the observation handling system (manual 4.3).

The OTTO client and its configuration live in ``seqshell.otto`` and
``seqshell.config``; until they are installed, ``fetch`` says so plainly.
"""
from __future__ import annotations

import importlib

from seqshell.outcome import Outcome


async def fetch(target) -> Outcome:
    """Fetch the next OB from OTTO and load it into the kernel behind ``target``."""
    try:
        otto = importlib.import_module("seqshell.otto")
    except ModuleNotFoundError as exc:
        if exc.name != "seqshell.otto":
            raise
        return Outcome.failure("OTTO is not configured: this installation has no OTTO client")
    return await otto.fetch(target)
