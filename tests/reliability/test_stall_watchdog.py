"""A step that blocks the kernel's event loop is reported while it blocks, and abort works once it returns."""
import textwrap

import trio

from seqkernel.link import KernelLink

BLOCKER = """
    import asyncio
    import time
    from seq.lib.nodes import Sequence

    async def blocker():  # time.sleep in a coroutine blocks the loop (a plain function runs in a thread)
        time.sleep(2.5)

    async def forever():
        await asyncio.sleep(3600)

    def create_sequence(*args, **kw):
        return Sequence.create(blocker, forever, **kw)
"""


def notice(message):
    return message.type == "event" and message.kind == "notice"


async def test_a_blocking_step_is_reported_while_it_blocks_and_abort_works_after(tmp_path):
    (tmp_path / "blocking.py").write_text(textwrap.dedent(BLOCKER))
    async with KernelLink.spawn(cwd=tmp_path, client="tests") as kernel:
        with trio.fail_after(20):
            assert (await kernel.command("load blocking")).ok
            assert (await kernel.command("run")).ok
            seen = await kernel.wait_for(notice)
            warning = seen[-1]
            assert warning.level == "WARNING"
            assert "event loop has been blocked" in warning.message
            assert "by step 'blocker'" in warning.message, warning.message
            # Sent while the step still blocked: its RUNNING state came before, its FINISHED not yet.
            states = [(m.name, m.state) for m in seen if m.type == "event" and m.kind == "state"]
            assert ("blocker", "RUNNING") in states and ("blocker", "FINISHED") not in states

            abort = await kernel.command("abort")  # read only once the step has returned
            assert abort.ok, abort.error
            rest = await kernel.wait_for(lambda m: m.type == "event" and m.kind == "run" and m.status != "running")
            assert rest[-1].status == "aborted"
            if not any(map(notice, rest)):
                rest += await kernel.wait_for(notice)
            [recovered] = [m for m in rest if notice(m)]
            assert recovered.level == "INFO" and "running again after" in recovered.message
            states = [(m.name, m.state) for m in rest if m.type == "event" and m.kind == "state"]
            assert ("blocker", "FINISHED") in states and ("forever", "CANCELLED") in states
            assert (await kernel.command("nodes")).ok  # still serving
