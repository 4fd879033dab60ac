"""A kernel that stops answering is reported by its parent while it does, and again once it answers.

Three ways a step stops a kernel: a ``time.sleep`` in a coroutine blocks its
event loop, a C call that keeps the GIL stops every thread of it (here libc's
``sleep`` called through ``ctypes.PyDLL``, which does not release the GIL),
and ``SIGSTOP`` stops the process.
"""
import os
import re
import signal
import textwrap
import time

import trio

from seqkernel.link import KernelLink

SCRIPT = """
    import asyncio
    import ctypes
    import time
    from seq.lib.nodes import Sequence

    async def blocker():  # time.sleep in a coroutine blocks the loop (a plain function runs in a thread)
        time.sleep(2.5)

    async def gil_holder():  # a C call that keeps the GIL: no thread of the kernel runs meanwhile
        ctypes.PyDLL(None).usleep(2_500_000)

    async def waiter():
        await asyncio.sleep(3600)

    def create_sequence(*args, **kw):
        return Sequence.create({step}, waiter, **kw)
"""


def notice(message):
    return message.type == "event" and message.kind == "notice"


def state(name, value):
    return lambda m: m.type == "event" and m.kind == "state" and m.name == name and m.state == value


async def start(kernel, tmp_path, step):
    """Load a script running ``step`` and start it; the time it started."""
    (tmp_path / f"{step}.py").write_text(textwrap.dedent(SCRIPT.format(step=step)))
    assert (await kernel.command(f"load {step}")).ok
    started = time.monotonic()
    assert (await kernel.command("run")).ok
    return started


async def test_a_blocking_step_is_reported_while_it_blocks_and_abort_works_after(tmp_path):
    async with KernelLink.spawn(cwd=tmp_path, client="tests") as kernel:
        with trio.fail_after(20):
            await start(kernel, tmp_path, "blocker")
            seen = await kernel.wait_for(notice)
            warning = seen[-1]
            assert warning.level == "WARNING"
            assert "event loop has been blocked" in warning.message
            assert re.search(r"while running step 'blocker' \(sn \d+\)", warning.message), warning.message
            # Said while the step still blocked; what the kernel had queued before it blocked came first.
            assert any(map(state("blocker", "RUNNING"), seen)) and not any(map(state("blocker", "FINISHED"), seen))

            abort = await kernel.command("abort")  # read only once the step has returned
            assert abort.ok, abort.error
            rest = await kernel.wait_for(lambda m: m.type == "event" and m.kind == "run" and m.status != "running")
            assert rest[-1].status == "aborted"
            if not any(map(notice, rest)):
                rest += await kernel.wait_for(notice)
            [recovered] = [m for m in rest if notice(m)]
            assert recovered.level == "INFO" and "running again after" in recovered.message
            states = [(m.name, m.state) for m in rest if m.type == "event" and m.kind == "state"]
            assert ("blocker", "FINISHED") in states and ("waiter", "CANCELLED") in states
            assert (await kernel.command("nodes")).ok  # still serving


async def test_a_step_holding_the_gil_is_reported_while_it_holds_it_with_the_time_it_held_it(tmp_path):
    async with KernelLink.spawn(cwd=tmp_path, client="tests") as kernel:
        with trio.fail_after(20):
            started = await start(kernel, tmp_path, "gil_holder")
            # (on a loaded machine the load's import may have held the loop over a second too: said before)
            seen = await kernel.wait_for(lambda m: notice(m) and "step 'gil_holder' (sn " in m.message)
            assert "event loop has been blocked" in seen[-1].message  # (its RUNNING event is still held)
            assert not any(map(state("gil_holder", "FINISHED"), seen)), "reported only once the step returned"
            seen = await kernel.wait_for(notice)
            took = time.monotonic() - started
            blocked = float(re.search(r"running again after ([\d.]+) s blocked", seen[-1].message).group(1))
            # The parent reads the black box's beats, not the kernel's events: the step's end may come after.
            if not any(map(state("gil_holder", "FINISHED"), seen)):
                await kernel.wait_for(state("gil_holder", "FINISHED"))
            # As long as it held the GIL: no less, and no more than from the loop's last beat before
            # the run started (a beat is due every 0.1 s; later on a loaded machine).
            assert 2.5 <= blocked <= took + 0.5, (blocked, took)


async def test_a_stopped_kernel_is_reported_as_stopped_and_again_once_continued(tmp_path):
    async with KernelLink.spawn(cwd=tmp_path, client="tests") as kernel:
        with trio.fail_after(20):
            await start(kernel, tmp_path, "waiter")
            await kernel.wait_for(state("waiter", "RUNNING"))
            os.kill(kernel.process.pid, signal.SIGSTOP)
            stopped_at = time.monotonic()
            try:
                warning = (await kernel.wait_for(notice))[-1]
            finally:
                os.kill(kernel.process.pid, signal.SIGCONT)
                continued_at = time.monotonic()
            assert warning.level == "WARNING"
            assert "its process is stopped" in warning.message and "while running step 'waiter'" in warning.message
            recovered = (await kernel.wait_for(notice))[-1]
            stopped_for = float(re.search(r"running again after ([\d.]+) s stopped", recovered.message).group(1))
            assert continued_at - stopped_at - 0.1 <= stopped_for <= time.monotonic() - stopped_at + 0.2
            assert (await kernel.command("nodes")).ok
