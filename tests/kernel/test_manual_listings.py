"""The manual's listings in a real kernel process, and steps using a library with an asyncio loop of its own."""
import re

import trio

from kernel_helpers import event, ok, run_to_end, write_module

#: bluesky's RunEngine creates an asyncio loop in the thread that first builds one, and runs it in a
#: thread of its own; the steps wait for it, from a worker thread and from the kernel's event loop.
BLUESKY_STEPS = """
from bluesky import RunEngine
from bluesky.utils import Msg

from seq.lib.nodes import Sequence

PLAN = [Msg("null"), Msg("sleep", None, 0.01), Msg("null")]


def in_a_thread():
    engine = RunEngine({}, context_managers=[])
    engine(PLAN)
    return engine.state


async def in_a_coroutine():
    engine = RunEngine({}, context_managers=[])
    engine(PLAN)
    return engine.state


def create_sequence(*args, **kw):
    return Sequence.create(in_a_thread, in_a_coroutine, **kw)
"""


def serial_numbers(nodes_output: str) -> dict[int, str]:
    found = re.findall(r"^ *\w[-+]- \((\d+)\) (.*)$", nodes_output, re.MULTILINE)
    assert len({sn for sn, _ in found}) == len(found), f"serial numbers repeat:\n{nodes_output}"
    return {int(sn): line for sn, line in found}


async def test_nodes_built_at_import_have_serial_numbers_of_their_own(kernel):
    """Manual 5.3 as printed (seq.samples.runtime_flags): ``pause``, ``resume`` and ``skip`` hit the node named."""
    await ok(kernel, "load seq.samples.runtime_flags")
    lines = serial_numbers((await ok(kernel, "nodes")).output)
    [node1] = [sn for sn, line in lines.items() if line == "a NOT_STARTED|RT.PAUSE"]
    [node2] = [sn for sn, line in lines.items() if line == "b NOT_STARTED|RT.SKIP"]
    await ok(kernel, "run")
    with trio.fail_after(10):
        await kernel.wait_for(event("state", sn=node1, state="PAUSED"))
    assert (await ok(kernel, "wait 10")).output == "paused"
    await ok(kernel, f"resume {node1}")
    with trio.fail_after(10):
        seen = await kernel.wait_for(event("run", status="finished"))
    assert (node2, "FINISHED|SKIP") in [(m.sn, m.state) for m in seen if m.type == "event" and m.kind == "state"]
    assert (await ok(kernel, f"skip {node1}")).output == f"({node1}) a FINISHED|RT.PAUSE|RT.SKIP"


async def test_a_name_that_several_nodes_have_flags_each_and_says_so(kernel):
    await ok(kernel, "load seq.samples.runtime_flags")
    reply = await ok(kernel, "pause -find_name a -no-flag")
    head, *changed = reply.output.splitlines()
    assert head == "2 nodes are named 'a'; each one changed:"
    assert [re.sub(r"\(\d+\)", "(N)", line) for line in changed] == ["(N) a NOT_STARTED", "(N) a NOT_STARTED|RT.SKIP"]


async def test_steps_using_a_library_that_runs_its_own_asyncio_loop_in_a_thread(kernel, tmp_path):
    path = write_module(tmp_path, "bluesky_steps", BLUESKY_STEPS)
    await ok(kernel, f"load {path}", timeout=60)
    seen = await run_to_end(kernel, timeout=60)
    assert seen[-1].status == "finished", [m for m in seen if m.type == "event" and m.kind == "error"]
    snapshot = (await ok(kernel, "snapshot")).data
    [script] = snapshot["scripts"]
    assert [(node["name"], node["state"]) for node in script["children"][1:-1]] == [
        ("in_a_thread", "FINISHED"), ("in_a_coroutine", "FINISHED"),
    ]
