"""A module that hangs while it is imported leaves the kernel serving, and abort gives up on it.

Each hanging module blocks on a FIFO the test holds: opening the FIFO for
writing returns once the module, being imported, has opened it for reading, and
closing it lets the import go on, so the test also sees the abandoned thread end.
"""
import json
import os
from contextlib import asynccontextmanager

import trio

from kernel_helpers import fails, ok, run_to_end, write_module

HANGING = """
    from seq.lib.nodes import Sequence

    with open({fifo!r}) as gate:  # blocks until the test opens the FIFO, then until it closes it
        gate.read()
    print("{name}: import finished")

    def step():
        pass

    def create_sequence(*args, **kw):
        return Sequence.create(step, **kw)
"""

GOOD = """
    from seq.lib.nodes import Sequence

    def fine():
        pass

    def create_sequence(*args, **kw):
        return Sequence.create(fine, name="good_seq", **kw)
"""


def output_containing(text):
    return lambda m: m.type == "event" and m.kind == "output" and text in m.text


@asynccontextmanager
async def gate(fifo):
    """Wait until a module being imported is blocked on ``fifo``; on exit, let it go on."""
    writer = await trio.to_thread.run_sync(open, fifo, "w", abandon_on_cancel=True)
    try:
        yield
    finally:
        writer.close()


@asynccontextmanager
async def command_in_background(kernel, line):
    """Send ``line``; the block runs while it waits for its reply, which the yielded function awaits."""
    send_reply, receive_reply = trio.open_memory_channel(1)

    async def command():
        await send_reply.send(await kernel.command(line))

    async with trio.open_nursery() as nursery:
        nursery.start_soon(command)
        yield receive_reply.receive


async def test_a_hung_import_leaves_the_kernel_serving_and_abort_gives_up_on_it(kernel, tmp_path):
    fifo = tmp_path / "gate.fifo"
    os.mkfifo(fifo)
    write_module(tmp_path, "hang", HANGING.format(fifo=str(fifo), name="hang"))
    write_module(tmp_path, "good", GOOD)
    with trio.fail_after(20):
        async with command_in_background(kernel, "load hang") as load_reply, gate(fifo):
            assert (await ok(kernel, "modules")).output == ""  # read-only commands are served meanwhile
            await ok(kernel, "lsob")
            refused = await fails(kernel, "run")
            assert refused.error == "cannot start a run: a load of hang is in progress (abort stops it)"
            assert "a load of hang is in progress" in (await fails(kernel, "load good")).error
            assert "a load of hang is in progress" in (await fails(kernel, "reset")).error

            assert (await ok(kernel, "abort")).output == "aborted the load of hang"
            load = await load_reply()
            assert not load.ok
            assert "the import of hang did not finish" in load.error
            assert "nothing of this load was loaded" in load.error and "init" in load.error

            assert (await ok(kernel, "modules")).output == ""  # nothing of the aborted load is attached
            assert "loaded good: " in (await ok(kernel, "load good")).output
            ran = await run_to_end(kernel)
            assert ran[-1].status == "finished"
            assert (await ok(kernel, "modules")).output == "good"
        # The gate is closed: the abandoned import finishes in its thread, and the kernel goes on.
        await kernel.wait_for(output_containing("hang: import finished"))
        assert (await ok(kernel, "modules")).output == "good"
        assert (await fails(kernel, "abort")).error == "nothing is running"


async def test_an_ob_whose_template_hangs_at_import_is_aborted_and_nothing_of_it_loads(kernel, tmp_path):
    fifo = tmp_path / "gate.fifo"
    os.mkfifo(fifo)
    write_module(tmp_path, "good", GOOD)
    write_module(tmp_path, "slow_template", HANGING.format(fifo=str(fifo), name="slow_template"))
    ob = tmp_path / "night.json"
    ob.write_text(json.dumps({"obsDescription": {"name": "night"},
                              "templates": [{"templateName": "good"}, {"templateName": "slow_template"}]}))
    with trio.fail_after(20):
        async with command_in_background(kernel, f"ob {ob}") as ob_reply, gate(fifo):
            assert (await ok(kernel, "lsob")).output == ""
            refused = await fails(kernel, "run")
            assert "a load of OB 'night' is in progress (abort stops it)" in refused.error
            assert (await ok(kernel, "abort")).output == "aborted the load of OB 'night'"
            loaded = await ob_reply()
            assert not loaded.ok and "the import of slow_template did not finish" in loaded.error
            assert (await ok(kernel, "lsob")).output == ""
        await kernel.wait_for(output_containing("slow_template: import finished"))
        # The FIFO's writer is gone: a new load of the OB imports its template afresh and hangs again.
        async with command_in_background(kernel, f"ob {ob}") as ob_reply, gate(fifo):
            pass
        loaded = await ob_reply()
        assert loaded.ok, loaded.error
        assert (await ok(kernel, "lsob")).data[0]["templates"] == ["good", "slow_template"]
        assert (await run_to_end(kernel))[-1].status == "finished"
