"""Every command of the kernel's language, through a real kernel process."""
import json

import trio

from kernel_helpers import SLEEPER, event, fails, ok, run_stopped, run_to_end, write_module

MANUAL_NODES = """\
A-- (5) begin {s}
A-- (8) end {s}
S+- (2) Example A {s}
  A-- (6) begin {s}
  A-- (3) a {a}
  A-- (4) b {b}
  A-- (7) end {s}"""


async def test_load_shows_the_tree_in_the_manual_format(kernel, tmp_path):
    reply = await ok(kernel, "load seq.samples.a")
    assert reply.output == "loaded seq.samples.a: (2) Example A"
    nodes = await ok(kernel, "nodes")
    assert nodes.output == MANUAL_NODES.format(s="NOT_STARTED", a="NOT_STARTED", b="NOT_STARTED")
    tree = await ok(kernel, "tree")
    assert "S+- (2) Example A" in tree.output.splitlines()
    assert "  A-- (3) a - Simply a" in tree.output.splitlines()
    assert (await ok(kernel, "modules")).output == "seq.samples.a"
    snapshot = (await ok(kernel, "snapshot")).data
    assert snapshot["status"] == "idle" and snapshot["modules"] == ["seq.samples.a"]
    assert [node["name"] for node in snapshot["scripts"]] == ["Example A"]
    path = write_module(tmp_path, "by_path", "from samples.a import create_sequence\n")
    assert (await ok(kernel, f"load {path}")).output.startswith(f"loaded {path}: (")


async def test_the_manual_walk_through_skip_pause_resume_flip(kernel):
    await ok(kernel, "load seq.samples.a")
    assert (await ok(kernel, "skip 3")).output == "(3) a NOT_STARTED|RT.SKIP"
    await run_to_end(kernel)
    assert (await ok(kernel, "wait")).output == "finished"
    assert (await ok(kernel, "nodes")).output == MANUAL_NODES.format(s="FINISHED", a="FINISHED|SKIP|RT.SKIP", b="FINISHED")

    await ok(kernel, "pause 4")
    await ok(kernel, "run")
    assert (await ok(kernel, "wait 10")).output == "paused"
    assert "  A-- (4) b PAUSED|RT.PAUSE" in (await ok(kernel, "nodes")).output.splitlines()
    await ok(kernel, "resume 4")
    assert (await ok(kernel, "wait 10")).output == "finished"
    assert "  A-- (4) b FINISHED|RT.PAUSE" in (await ok(kernel, "nodes")).output.splitlines()

    assert (await ok(kernel, "flip skip 3")).output == "(3) a FINISHED|SKIP"
    assert (await ok(kernel, "flip pause 4")).output == "(4) b FINISHED"


async def test_flags_by_name_and_clearing_them(kernel):
    await ok(kernel, "load seq.samples.a")
    assert (await ok(kernel, "skip -find_name b")).output == "(4) b NOT_STARTED|RT.SKIP"
    assert (await ok(kernel, "skip -find_name b -no-flag")).output == "(4) b NOT_STARTED"
    assert (await ok(kernel, "pause -find_name a")).output == "(3) a NOT_STARTED|RT.PAUSE"
    assert (await ok(kernel, "unpause 3")).output == "(3) a NOT_STARTED"
    await ok(kernel, "skip 4")
    assert (await ok(kernel, "unskip b")).output == "(4) b NOT_STARTED"
    assert (await ok(kernel, "flip pause b")).output == "(4) b NOT_STARTED|RT.PAUSE"
    assert "one of the arguments SN -find_name/--find-name is required" in (await fails(kernel, "skip")).error
    assert (await fails(kernel, "skip -find_name nosuch")).error == "no node named 'nosuch'"
    assert (await fails(kernel, "pause 99")).error == "no node with serial number 99"


FLAKY = """
    from seq.lib.nodes import Sequence

    attempts = []

    async def setup():
        pass

    async def flaky():
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("first attempt fails")

    async def last():
        pass

    def create_sequence(*args, **kw):
        return Sequence.create(setup, flaky, last, **kw)
"""


async def test_error_then_retry_runs_the_failed_node_and_the_rest(kernel, tmp_path):
    write_module(tmp_path, "flaky", FLAKY)
    await ok(kernel, "load flaky")
    seen = await run_to_end(kernel)
    assert seen[-1].status == "error"
    error = next(m for m in seen if m.type == "event" and m.kind == "error")
    assert (error.name, error.exception) == ("flaky", "RuntimeError: first attempt fails")
    assert error.file.endswith("flaky.py") and error.line == 12
    assert 'flaky.py", line 12, in flaky' in error.traceback
    assert (await ok(kernel, "wait 1")).output == "error"
    assert (await ok(kernel, "retry")).output == "retrying"
    with trio.fail_after(10):
        seen = await kernel.wait_for(run_stopped)
    assert seen[-1].status == "finished"
    assert ("  A-- (4) flaky FINISHED") in (await ok(kernel, "nodes")).output.splitlines()
    assert "nothing to retry" in (await fails(kernel, "retry")).error


async def test_error_then_continue_leaves_the_failed_node_failed(kernel, tmp_path):
    write_module(tmp_path, "flaky", FLAKY)
    await ok(kernel, "load flaky")
    await run_to_end(kernel)
    await ok(kernel, "continue")
    with trio.fail_after(10):
        seen = await kernel.wait_for(run_stopped)
    assert seen[-1].status == "finished"
    lines = (await ok(kernel, "nodes")).output.splitlines()
    assert "  A-- (4) flaky FINISHED|ERROR" in lines and "  A-- (5) last FINISHED" in lines


async def test_wait_does_not_block_abort_and_continue_reset_clear_follow(kernel, tmp_path):
    write_module(tmp_path, "sleeper", SLEEPER)
    await ok(kernel, "load sleeper")
    await ok(kernel, "run")
    with trio.fail_after(10):
        await kernel.wait_for(event("state", name="forever", state="RUNNING"))
    outcome = {}

    async def waiter():
        outcome["wait"] = await kernel.command("wait")

    async with trio.open_nursery() as nursery:
        nursery.start_soon(waiter)
        assert (await ok(kernel, "abort")).output == "aborted"
    assert outcome["wait"].output == "aborted"
    assert "  A-- (4) forever CANCELLED" in (await ok(kernel, "nodes")).output.splitlines()
    assert (await ok(kernel, "wait 0.1")).output == "aborted"

    await ok(kernel, "continue")
    with trio.fail_after(10):
        await kernel.wait_for(event("state", name="forever", state="RUNNING"))
    assert (await ok(kernel, "wait 0.05")).output == "timeout"
    # A load during a run goes to the end of the queue (see test_queue.py).
    assert (await ok(kernel, "load seq.samples.a")).output == "loaded seq.samples.a: (9) Example A"

    assert (await ok(kernel, "reset")).output == "reset"
    with trio.fail_after(10):
        await kernel.wait_for(event("tree", action="reset"))
    assert set(line.split()[-1] for line in (await ok(kernel, "nodes")).output.splitlines()) == {"NOT_STARTED"}
    await ok(kernel, "clear")
    with trio.fail_after(10):
        await kernel.wait_for(event("tree", action="cleared"))
    assert (await ok(kernel, "modules")).output == ""
    assert (await ok(kernel, "nodes")).output == ""


TEMPLATE = """
    from seq.lib.nodes import Sequence, get_param
    from seq.lib import getUserLogger

    async def report():
        getUserLogger().info("exposure %s", get_param("exptime"))

    def create_sequence(*args, **kw):
        return Sequence.create(report, **kw)
"""


def _ob(exptime):
    return {
        "obsDescription": {"name": "night one"},
        "templates": [
            {"templateName": "expose", "parameters": [{"name": "exptime", "type": "number", "value": exptime}]},
            {"templateName": "expose", "parameters": [{"name": "exptime", "type": "number", "value": 2 * exptime}]},
        ],
    }


async def test_obs_variables_and_inline_obs(kernel, tmp_path):
    write_module(tmp_path, "expose", TEMPLATE)
    (tmp_path / "night.json").write_text(json.dumps(_ob(5)))
    assert (await ok(kernel, f"ob {tmp_path / 'night.json'}")).output.startswith(f"loaded OB {tmp_path / 'night.json'}: (")
    lsob = await ok(kernel, "lsob")
    assert lsob.output.startswith("0: (") and "night one [expose, expose]" in lsob.output
    assert lsob.data[0]["name"] == "night one"
    lsvar = await ok(kernel, "lsvar")
    assert "  exptime (number) = 5" in lsvar.output.splitlines() and "  exptime (number) = 10" in lsvar.output.splitlines()
    await ok(kernel, "setvar 0 1 exptime 7.5")
    refused = await fails(kernel, "setvar 0 1 exptime soon")
    assert refused.error == "'soon' is not a number"
    assert [v["value"] for v in (await ok(kernel, "lsvar")).data] == [5, 7.5]
    seen = await run_to_end(kernel)
    assert [m.message for m in seen if m.type == "event" and m.kind == "log" and m.logger == "seq.user"
            and m.message.startswith("exposure")] == ["exposure 5", "exposure 7.5"]

    reply = await ok(kernel, "obdata " + json.dumps(json.dumps(_ob(1)))[1:-1].replace('\\"', '"').join("''"))
    assert reply.output.startswith("loaded OB (") and reply.output.endswith("night one")
    assert len((await ok(kernel, "lsob")).data) == 2
    assert "not valid JSON" in (await fails(kernel, "obdata '{nope'")).error


DIALOG = """
    from seq.lib.nodes import Sequence, BasicDialog
    from seq.lib import getUserLogger

    async def never_ready():
        return False

    async def fix_it():
        getUserLogger().info("extra step done")

    def create_sequence(*args, **kw):
        ask = BasicDialog(check_condition=never_ready, condition_extra_step=fix_it,
                          condition_label="Lamp warm?", step_label="Warm up the lamp", name="lamp")
        return Sequence.create(ask, **kw)
"""


async def test_answering_a_dialog(kernel, tmp_path):
    write_module(tmp_path, "dialog", DIALOG)
    await ok(kernel, "load dialog")
    await ok(kernel, "run")
    with trio.fail_after(10):
        request = (await kernel.wait_for(event("dialog", action="request")))[-1]
    assert (request.name, request.condition_label, request.step_label) == ("lamp", "Lamp warm?", "Warm up the lamp")
    assert (await ok(kernel, "wait 5")).output == "paused"
    pending = (await ok(kernel, "snapshot")).data["dialogs"]
    assert pending == [{k: v for k, v in request.to_dict().items() if k not in ("type", "kind", "action")}]
    await ok(kernel, f"answer {request.sn} perform")
    with trio.fail_after(10):
        seen = await kernel.wait_for(event("run", status="finished"))
    resolved = next(m for m in seen if m.type == "event" and m.kind == "dialog")
    assert (resolved.action, resolved.answer, resolved.sn) == ("resolved", "perform", request.sn)
    assert any(m.kind == "log" and m.message == "extra step done" for m in seen if m.type == "event")
    assert seen[-1].status == "finished"
    assert (await fails(kernel, f"answer {request.sn} stop")).error == f"dialog ({request.sn}) lamp was already answered: perform"
    assert (await ok(kernel, "snapshot")).data["dialogs"] == []

    await ok(kernel, "run")
    with trio.fail_after(10):
        request = (await kernel.wait_for(event("dialog", action="request")))[-1]
    await ok(kernel, f"answer {request.sn} stop")
    with trio.fail_after(10):
        seen = await kernel.wait_for(event("run", status="aborted"))
    assert [m.answer for m in seen if m.kind == "dialog"] == ["stop"]
    assert not any(m.kind == "log" and m.message == "extra step done" for m in seen)


async def test_err_help_and_comments(kernel):
    err = await fails(kernel, "err")
    assert err.error == "exception forced by the err command"
    assert "Traceback (most recent call last)" in err.output and "RuntimeError" in err.output
    listing = (await ok(kernel, "help")).output
    for name in ("load", "ob", "obdata", "modules", "lsob", "nodes", "tree", "snapshot", "run", "wait", "pause",
                 "skip", "unskip", "unpause", "flip", "resume", "retry", "continue", "abort", "reset", "clear",
                 "lsvar", "setvar", "answer", "err"):
        assert any(line.startswith(name + " ") for line in listing.splitlines()), name
    assert (await ok(kernel, "help flip")).output.startswith("usage: flip [-h] {skip,pause} SN|NAME")
    assert (await ok(kernel, "load -h")).output.startswith("usage: load [-h] [--first | --last | --before SN | "
                                                           "--after SN]\n            MODULE [MODULE ...]")
    assert (await ok(kernel, "")).output == ""
    assert (await ok(kernel, "   # just a comment")).output == ""


async def test_the_kernel_logs_to_kernel_log_in_its_session_directory(kernel, tmp_path):
    await ok(kernel, "load seq.samples.a")
    await fails(kernel, "pause 99")
    await kernel.aclose()
    log = (tmp_path / "kernel.log").read_text()
    assert "kernel started" in log and "hello" in log and "client=tests" in log
    assert "line='load seq.samples.a'" in log
    assert "command failed" in log and "no node with serial number 99" in log
    assert "kernel stopped" in log


QUICK_STEPS = """
    import time
    from seq.lib.nodes import Action, Sequence

    async def noop():
        time.sleep(0.0002)  # a little work that never waits: the run takes seconds, longer than the reader lags

    def create_sequence(*args, **kw):
        return Sequence.create(*(Action(noop, name=f"step{i}") for i in range(20_000)), name="quick", **kw)
"""


async def test_abort_stops_a_long_sequence_of_steps_that_never_wait(kernel, tmp_path):
    """Asyncio steps that never wait run back to back in one asyncio task; the kernel's event loop
    still turns between them, so the run's events flow while it runs and an abort stops it mid-way."""
    await ok(kernel, f"load {write_module(tmp_path, 'quick', QUICK_STEPS)}", timeout=60)
    await ok(kernel, "run")
    with trio.fail_after(30):
        await kernel.wait_for(event("state", name="step0", state="FINISHED"))
    assert (await ok(kernel, "abort")).output == "aborted"
    with trio.fail_after(30):
        assert (await kernel.wait_for(run_stopped))[-1].status == "aborted"
    steps = [node for node in (await ok(kernel, "snapshot")).data["scripts"][0]["children"]
             if node["name"].startswith("step")]
    finished = sum(step["state"] == "FINISHED" for step in steps)
    assert 0 < finished < len(steps) == 20_000
