"""Simulation mode: whether the scripts of this process simulate their hardware.

A sequence component started with ``seqserver --component ... --simulation`` passes
``--simulation`` to its shell, which passes it to its kernel (``seqshell --simulation``
does the same for a shell's own kernel, ``seqtool run --simulation`` for a run in
process). A script asks ``seq.lib.simulating()`` and skips the real hardware::

    from seq.lib import simulating

    async def move_filter():
        if simulating():
            await asyncio.sleep(2)        # as long as the wheel takes
        else:
            await filter_wheel.move("H")
"""
from __future__ import annotations

_simulating = False


def simulating() -> bool:
    """Whether this process runs in simulation mode: its scripts must not drive real hardware."""
    return _simulating


def set_simulating(value: bool) -> None:
    """Turn simulation mode on or off for this process (the kernel does it for ``--simulation``)."""
    global _simulating
    _simulating = value
