"""Every event kind, in order per node, and a reader that stops reading."""
import os

import trio

import protocol
from kernel_helpers import SLEEPER, event, ok, raw_kernel, receive, receive_reply, run_stopped, run_to_end, write_module

BRANCHES = 40

WIDE = f"""
    import asyncio
    import logging
    from seq.lib.nodes import Parallel, Sequence

    def make(index):
        async def step():
            for _ in range(index % 3):
                await asyncio.sleep(0)
            logging.getLogger("wide").info("branch %d", index)
        step.__name__ = step.__qualname__ = f"branch{{index}}"
        return step

    def create_sequence(*args, **kw):
        return Sequence.create(Parallel.create(*[make(i) for i in range({BRANCHES})], name="fan"), **kw)
"""


async def test_state_and_log_events_of_each_node_stay_in_order(kernel, tmp_path):
    write_module(tmp_path, "wide", WIDE)
    await ok(kernel, "load wide")
    seen = await run_to_end(kernel)
    assert seen[-1].status == "finished"
    by_node = {}
    for message in seen:
        if message.type == "event" and message.kind in ("state", "log") and message.sn is not None:
            by_node.setdefault(message.sn, []).append(message.state if message.kind == "state" else message.message)
    branches = {sn: trail for sn, trail in by_node.items() if any("branch" in str(t) for t in trail)}
    assert len(branches) == BRANCHES
    for sn, trail in branches.items():
        name = trail[2].removeprefix("Starting Task: ")
        assert trail == ["SCHEDULED", "RUNNING", f"Starting Task: {name}", f"branch {name[6:]}",
                         f"End Task: {name}", "FINISHED"], trail
    for message in seen:
        if message.type == "event" and message.kind == "state":
            assert message.id and message.name and isinstance(message.flags, list) and message.ts > 0


async def test_tree_run_and_error_events(kernel, tmp_path):
    with trio.fail_after(10):
        await ok(kernel, "load seq.samples.test_err")
        loaded = (await kernel.wait_for(event("tree")))[-1]
    assert loaded.action == "loaded" and loaded.snapshot["modules"] == ["seq.samples.test_err"]
    seen = await run_to_end(kernel)
    kinds = [m.kind for m in seen]
    assert kinds[0] == "state" and "run" in kinds and "log" in kinds and "error" in kinds
    assert [m.status for m in seen if m.kind == "run"] == ["running", "error"]
    error = next(m for m in seen if m.kind == "error")
    assert error.exception == "ZeroDivisionError: division by zero"
    assert error.file.endswith("samples/test_err.py") and error.traceback.endswith("ZeroDivisionError: division by zero\n")
    failed = [m for m in seen if m.kind == "state" and m.sn == error.sn]
    assert failed[-1].state == "FINISHED|ERROR"
    assert seen.index(failed[-1]) < seen.index(error), "the failed state comes before its error report"

    await ok(kernel, "reset")
    with trio.fail_after(10):
        reset = (await kernel.wait_for(event("tree", action="reset")))[-1]
    assert reset.snapshot["status"] == "idle"
    await ok(kernel, "clear")
    with trio.fail_after(10):
        cleared = (await kernel.wait_for(event("tree", action="cleared")))[-1]
    assert cleared.snapshot["scripts"] == []


async def test_run_events_for_pause_and_abort(kernel, tmp_path):
    write_module(tmp_path, "sleeper", SLEEPER)
    await ok(kernel, "load sleeper")
    await ok(kernel, "pause 3")
    seen = await run_to_end(kernel)
    assert seen[-1].status == "paused"
    assert any(m.kind == "state" and m.sn == 3 and m.state == "PAUSED" and m.flags == ["PAUSE"] for m in seen)
    await ok(kernel, "resume 3")
    with trio.fail_after(10):
        await kernel.wait_for(event("state", name="forever", state="RUNNING"))
    await ok(kernel, "abort")
    with trio.fail_after(10):
        seen = await kernel.wait_for(run_stopped)
    assert seen[-1].status == "aborted"
    assert any(m.kind == "state" and m.name == "forever" and m.state == "CANCELLED" for m in seen)


FLOOD = """
    import logging
    import os
    import sys
    from seq.lib.nodes import Sequence

    def flood():
        chunk = "x" * 65536
        for _ in range({megabytes} * 16):
            sys.stdout.write(chunk)
        for n in range({records}):
            logging.getLogger("flood").warning("record %d", n)

    def signal_done():
        with open({fifo!r}, "w") as fifo:
            fifo.write("done")

    def create_sequence(*args, **kw):
        return Sequence.create(flood, signal_done, **kw)
"""


def peak_memory_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))


async def test_a_reader_that_stops_reading_never_grows_the_kernel(tmp_path):
    """The test reads nothing while the kernel floods 200 MB of output and 50,000 log records."""
    fifo = tmp_path / "done.fifo"
    os.mkfifo(fifo)
    write_module(tmp_path, "flood", FLOOD.format(megabytes=200, records=50_000, fifo=str(fifo)))
    decoder = protocol.Decoder()
    with trio.fail_after(60):
        process, stream = await raw_kernel(cwd=tmp_path)
        await stream.send_all(protocol.encode(protocol.Hello(version=1, client="sluggard")))
        assert (await receive(stream, decoder))[0].type == "welcome"
        before = peak_memory_kib(process.pid)
        await stream.send_all(protocol.encode(protocol.Cmd(id=1, line="load flood")))
        received = await receive_reply(stream, decoder, 1)  # a run sent while the load is in progress is refused
        await stream.send_all(protocol.encode(protocol.Cmd(id=2, line="run")))
        await trio.to_thread.run_sync(fifo.read_text)  # the last step has run; we have read nothing since
        growth_mib = (peak_memory_kib(process.pid) - before) / 1024
        while not any(m.type == "event" and m.kind == "run" and m.status == "finished" for m in received):
            received += await receive(stream, decoder)
        while not any(m.type == "event" and m.kind == "notice" for m in received):
            received += await receive(stream, decoder)
        await stream.aclose()
        await process.wait()
    assert growth_mib < 64, f"the kernel grew by {growth_mib:.0f} MiB"
    notice = next(m for m in received if m.type == "event" and m.kind == "notice")
    assert notice.level == "WARNING" and "dropped" in notice.message
    finals = {m.name: m.state for m in received if m.type == "event" and m.kind == "state"}
    assert finals["flood"] == finals["signal_done"] == "FINISHED"
    assert [m.ok for m in received if m.type == "reply"] == [True, True]
    output = sum(len(m.text) for m in received if m.type == "event" and m.kind == "output")
    assert output < 200 * 2**20  # some was dropped, not hoarded


async def test_a_huge_log_record_arrives_shortened(kernel, tmp_path):
    write_module(tmp_path, "verbose", """
        import logging
        from seq.lib.nodes import Sequence

        def dump():
            logging.getLogger("seq.user").info("y" * 3_000_000)

        def create_sequence(*args, **kw):
            return Sequence.create(dump, **kw)
    """)
    await ok(kernel, "load verbose")
    seen = await run_to_end(kernel)
    [record] = [m for m in seen if m.kind == "log" and m.message.startswith("yyy")]
    assert record.message == "y" * 1024 * 1024 + f"... [{3_000_000 - 1024 * 1024} more characters not shown]"
    assert seen[-1].status == "finished"
