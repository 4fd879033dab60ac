"""The queue through a real kernel process: positions, edits, refusals, history and the hold."""
import json

import pytest
import trio
from kernel_helpers import fails, ok
from night_scripts import night_ob, write_night


@pytest.fixture
def scripts(tmp_path):
    write_night(tmp_path, items=("alpha", "beta", "gamma", "delta"))
    return tmp_path


async def items(kernel):
    """The queue's items: name -> serial number, and the names in order."""
    scripts = (await ok(kernel, "snapshot")).data["scripts"]
    return {item["name"]: item["sn"] for item in scripts}, [item["name"] for item in scripts]


async def order(kernel):
    return (await items(kernel))[1]


def serials(snapshot):
    """Every serial number of a snapshot's scripts, by node id."""
    found, pending = {}, list(snapshot["scripts"])
    while pending:
        node = pending.pop()
        found[node["id"]] = node["sn"]
        pending.extend(node["children"])
    return found


async def test_loads_take_a_position(kernel, scripts):
    await ok(kernel, "load alpha beta")
    sn, _ = await items(kernel)
    await ok(kernel, "load gamma --first")
    await ok(kernel, f"load delta --before {sn['beta']}")
    (scripts / "late.json").write_text(json.dumps(night_ob("late", 1)))
    reply = await ok(kernel, f"ob {scripts / 'late.json'} --after {sn['alpha']}")
    assert reply.output.startswith(f"loaded OB {scripts / 'late.json'}: (")
    await ok(kernel, f"obdata '{json.dumps(night_ob('inline', 2))}' --last")
    assert await order(kernel) == ["gamma", "alpha", "late", "delta", "beta", "inline"]
    queue = (await ok(kernel, "queue")).output.splitlines()
    assert queue[0] == f"1. S ({(await items(kernel))[0]['gamma']}) gamma NOT_STARTED"
    assert queue[3].startswith("   1. T (") and queue[3].endswith(") expose NOT_STARTED")
    assert [entry["name"] for entry in (await ok(kernel, "lsob")).data] == ["late", "inline"]
    # modules are listed in the order they were first loaded, wherever their scripts went in the queue
    assert (await ok(kernel, "modules")).output.splitlines() == ["alpha", "beta", "gamma", "delta", "expose"]


async def test_move_every_position_keeps_serial_numbers(kernel, scripts):
    await ok(kernel, "load alpha beta gamma delta")
    before = serials((await ok(kernel, "snapshot")).data)
    sn, _ = await items(kernel)
    assert (await ok(kernel, f"move {sn['delta']} --first")).output == f"moved ({sn['delta']}) delta: 1 of 4 in the queue"
    assert await order(kernel) == ["delta", "alpha", "beta", "gamma"]
    await ok(kernel, f"move {sn['delta']} --last")
    assert await order(kernel) == ["alpha", "beta", "gamma", "delta"]
    await ok(kernel, f"move {sn['alpha']} --after {sn['gamma']}")
    assert await order(kernel) == ["beta", "gamma", "alpha", "delta"]
    await ok(kernel, f"move {sn['delta']} --before {sn['beta']}")
    assert await order(kernel) == ["delta", "beta", "gamma", "alpha"]
    assert serials((await ok(kernel, "snapshot")).data) == before


async def test_templates_move_within_their_ob(kernel, scripts):
    (scripts / "night.json").write_text(json.dumps(night_ob("night", 1, 2, 3)))
    await ok(kernel, f"ob {scripts / 'night.json'}")
    (ob,) = (await ok(kernel, "snapshot")).data["scripts"]
    first, second, third = (child["sn"] for child in ob["children"] if child["type"] == "T")
    await ok(kernel, f"move {third} --first")
    await ok(kernel, f"move {first} --after {second}")
    (ob,) = (await ok(kernel, "snapshot")).data["scripts"]
    assert [child["sn"] for child in ob["children"] if child["type"] == "T"] == [third, second, first]
    assert [row["value"] for row in (await ok(kernel, "lsvar")).data] == [3, 2, 1]
    seen = await run_to_end(kernel)
    assert exposures(seen) == ["exposure 3", "exposure 2", "exposure 1"]


async def test_bad_edits_say_what_is_wrong_and_change_nothing(kernel, scripts):
    await ok(kernel, "load alpha beta")
    (scripts / "night.json").write_text(json.dumps(night_ob("night", 1, 2)))
    (scripts / "other.json").write_text(json.dumps(night_ob("other", 3)))
    await ok(kernel, f"ob {scripts / 'night.json'}")
    await ok(kernel, f"ob {scripts / 'other.json'}")
    (scripts / "not_an_ob.json").write_text(json.dumps({"title": "a list of targets"}))
    snapshot = (await ok(kernel, "snapshot")).data
    sn, _ = await items(kernel)
    alpha, night, other = (next(item for item in snapshot["scripts"] if item["name"] == name)
                           for name in ("alpha", "night", "other"))
    step = alpha["children"][1]["sn"]
    template, other_template = night["children"][1]["sn"], other["children"][1]["sn"]

    refusals = {
        "move 999 --first": "no node with serial number 999",
        f"move {sn['alpha']} --after 999": "no node with serial number 999",
        f"move {sn['night']} --after {template}": f"--after {template}: ({template}) Template is inside "
                                                  f"({sn['night']}) night, the item being placed",
        f"move {sn['alpha']} --before {sn['alpha']}": f"--before {sn['alpha']}: ({sn['alpha']}) alpha is inside "
                                                      f"({sn['alpha']}) alpha, the item being placed",
        f"move {template} --before {other_template}": f"({other_template}) Template is not a template of OB "
                                                      f"({sn['night']}) night: a template stays in its OB",
        f"move {template} --before {sn['alpha']}": f"({sn['alpha']}) alpha is not a template of OB ({sn['night']}) "
                                                   "night: a template stays in its OB",
        f"move {sn['alpha']} --after {template}": f"({template}) Template is not an item of the queue: scripts and "
                                                  "OBs are placed before or after another script or OB",
        f"move {step} --first": f"({step}) alpha_step is not an item of the queue",
        f"remove {sn['beta']} {step}": f"({step}) alpha_step is not an item of the queue",
        f"remove {other_template}": f"OB ({sn['other']}) other would have no template left: remove the OB instead",
        f"ob {scripts / 'not_an_ob.json'} --first": "the OB has no 'templates' list",
        f"replace {sn['alpha']} {scripts / 'not_an_ob.json'}": "the OB has no 'templates' list",
        f"replace {template} beta": f"({template}) Template is a template: replace takes a script or OB of the queue",
        f"replace {sn['alpha']} no_such_module": "no module named 'no_such_module'",
        f"load gamma --after {template}": f"({template}) Template is not an item of the queue",
        "move 3": "one of the arguments --first --last --before --after is required",
        f"requeue {step}": f"({step}) alpha_step is not an item of the queue",
    }
    for line, error in refusals.items():
        assert error in (await fails(kernel, line)).error, line
    assert (await ok(kernel, "snapshot")).data == snapshot


async def test_remove_replace_and_requeue(kernel, scripts):
    await ok(kernel, "load alpha beta gamma")
    sn, _ = await items(kernel)
    assert (await ok(kernel, f"remove {sn['alpha']} {sn['gamma']}")).output == \
        f"removed ({sn['alpha']}) alpha\nremoved ({sn['gamma']}) gamma"
    assert await order(kernel) == ["beta"]
    assert f"no node with serial number {sn['alpha']}" in (await fails(kernel, f"move {sn['alpha']} --first")).error
    (scripts / "night.json").write_text(json.dumps(night_ob("night", 4)))
    reply = await ok(kernel, f"replace {sn['beta']} {scripts / 'night.json'}")
    assert reply.output.startswith(f"replaced ({sn['beta']}) by (") and reply.output.endswith(") night: 1 of 1 in the queue")
    night = (await items(kernel))[0]["night"]
    assert night > sn["gamma"]  # new nodes get new numbers
    await ok(kernel, f"obdata '{json.dumps(night_ob('inline', 5))}'")
    await ok(kernel, f"replace {night} delta")
    assert await order(kernel) == ["delta", "inline"]
    copy = await ok(kernel, f"requeue {(await items(kernel))[0]['inline']} --first")
    assert copy.output.endswith("1 of 3 in the queue")
    assert await order(kernel) == ["inline", "delta", "inline"]
    seen = await run_to_end(kernel)
    assert exposures(seen) == ["exposure 5", "exposure 5"]


async def test_requeue_of_a_failed_ob_runs_it_again_with_its_variables(kernel, scripts):
    (scripts / "night.json").write_text(json.dumps(night_ob("night", 2, 0)))
    await ok(kernel, f"ob {scripts / 'night.json'}")
    await ok(kernel, "load alpha")
    seen = await run_to_end(kernel)
    assert seen[-1].status == "error" and exposures(seen) == ["exposure 2"]
    await ok(kernel, "setvar 0 1 exptime 7.5")
    night = (await items(kernel))[0]["night"]
    copy = await ok(kernel, f"requeue {night}")
    assert copy.output.endswith(f") night, a copy of ({night}): 3 of 3 in the queue")
    assert [row["value"] for row in (await ok(kernel, "lsvar")).data] == [2, 7.5, 2, 7.5]
    seen = await run_to_end(kernel, "continue")
    assert seen[-1].status == "finished" and exposures(seen) == ["exposure 2", "exposure 7.5"]
    history = (await ok(kernel, "history")).data
    assert [(entry["name"], entry["outcome"]) for entry in history] == [  # continue ends the failed one too
        ("night", "error"), ("night", "finished"), ("alpha", "finished"), ("night", "finished")]
    assert history[0]["error"].startswith("ValueError: exptime must be positive, not 0 in (")


async def test_edits_during_a_run_take_effect_in_it_and_refusals_name_node_and_state(kernel, scripts):
    await ok(kernel, "load gate alpha beta gamma")
    sn, _ = await items(kernel)
    await ok(kernel, "pause -find_name inside")
    await ok(kernel, "run")
    assert (await ok(kernel, "wait 10")).output == "paused"
    snapshot = (await ok(kernel, "snapshot")).data

    refused = {
        f"move {sn['gate']} --last": f"cannot move ({sn['gate']}) gate: it is RUNNING; while a run is in progress "
                                     "only what has not started may change",
        f"remove {sn['alpha']} {sn['gate']}": f"cannot remove ({sn['gate']}) gate: it is RUNNING",
        f"replace {sn['gate']} delta": f"cannot replace ({sn['gate']}) gate: it is RUNNING",
        f"move {sn['beta']} --before {sn['gate']}": f"cannot place it before ({sn['gate']}) gate, which is RUNNING",
        f"load delta --before {sn['gate']}": f"cannot place it before ({sn['gate']}) gate, which is RUNNING",
    }
    for line, error in refused.items():
        assert error in (await fails(kernel, line)).error, line
    assert (await ok(kernel, "snapshot")).data == snapshot

    await ok(kernel, f"move {sn['gamma']} --first")  # the front of what has not started: next
    await ok(kernel, f"remove {sn['alpha']}")
    await ok(kernel, f"load delta --after {sn['gate']}")
    assert await order(kernel) == ["gate", "delta", "gamma", "beta"]
    await ok(kernel, f"resume {(await ok(kernel, 'snapshot')).data['scripts'][0]['children'][2]['sn']}")
    assert (await ok(kernel, "wait 10")).output == "finished"
    assert [entry["name"] for entry in (await ok(kernel, "history")).data] == ["gate", "delta", "gamma", "beta"]
    assert "alpha_step" not in (await ok(kernel, "nodes")).output


async def test_pause_and_resume_without_a_serial_number_hold_the_queue_at_an_item_boundary(kernel, scripts):
    await ok(kernel, "load gate alpha")
    await ok(kernel, "pause -find_name inside")
    await ok(kernel, "run")
    assert (await ok(kernel, "wait 10")).output == "paused"
    held = await ok(kernel, "pause")
    assert held.output.startswith("the queue is held: the run stops before its next item begins")
    inside = next(node["sn"] for node in (await ok(kernel, "snapshot")).data["scripts"][0]["children"]
                  if node["name"] == "inside")
    seen = await run_to_end(kernel, f"resume {inside}")  # the item in progress goes on to its end
    assert seen[-1].status == "paused"
    assert any(m.kind == "state" and m.name == "gate" and m.state == "FINISHED" for m in seen if m.type == "event")
    snapshot = (await ok(kernel, "snapshot")).data
    assert snapshot["held"] and snapshot["status"] == "paused"
    assert [item["state"] for item in snapshot["scripts"]] == ["FINISHED", "SCHEDULED"]
    assert (await ok(kernel, "queue")).output.endswith("held: the run stops before its next item (resume releases it)")
    assert (await ok(kernel, "resume")).output == "the queue is released"
    assert (await ok(kernel, "wait 10")).output == "finished"
    assert "the queue is not held" in (await fails(kernel, "resume")).error

    await ok(kernel, "pause")  # held while idle: the next run waits before its first item
    await ok(kernel, f"pause -no-flag {inside}")
    await ok(kernel, "run")
    assert (await ok(kernel, "wait 10")).output == "paused"
    assert [item["state"] for item in (await ok(kernel, "snapshot")).data["scripts"]] == ["SCHEDULED", "SCHEDULED"]
    await ok(kernel, "continue")  # continue releases the hold too
    assert (await ok(kernel, "wait 10")).output == "finished"
    assert "give the node" in (await fails(kernel, "pause -no-flag")).error


async def test_history_after_errors_and_aborts_kept_across_reset_until_clear(kernel, scripts):
    assert (await ok(kernel, "history")).output == "nothing has run yet"
    (scripts / "bad.json").write_text(json.dumps(night_ob("bad", -1)))
    await ok(kernel, "load alpha")
    await ok(kernel, f"ob {scripts / 'bad.json'}")
    await ok(kernel, "load gate beta")
    await ok(kernel, "skip -find_name beta")
    await ok(kernel, "pause -find_name inside")
    assert (await run_to_end(kernel))[-1].status == "error"
    await ok(kernel, "continue")
    assert (await ok(kernel, "wait 10")).output == "paused"
    await ok(kernel, "abort")
    assert (await ok(kernel, "wait 10")).output == "aborted"
    await ok(kernel, "reset")
    await ok(kernel, "unpause inside")
    assert (await run_to_end(kernel))[-1].status == "error"
    await ok(kernel, "continue")
    assert (await ok(kernel, "wait 10")).output == "finished"

    history = await ok(kernel, "history")
    assert [(entry["name"], entry["outcome"]) for entry in history.data] == [
        ("alpha", "finished"), ("bad", "error"), ("bad", "finished"), ("gate", "aborted"),
        ("alpha", "finished"), ("bad", "error"), ("bad", "finished"), ("gate", "finished"), ("beta", "skipped")]
    assert all(entry["start"] <= entry["end"] for entry in history.data)
    failed = history.output.splitlines()[1]
    assert failed.startswith("2. ") and ") bad: error: ValueError: exptime must be positive, not -1 in (" in failed
    assert failed.endswith(") expose")
    await ok(kernel, "clear")
    assert (await ok(kernel, "history")).data == []


def exposures(messages):
    return [m.message for m in messages if m.type == "event" and m.kind == "log" and m.message.startswith("exposure")]


def drain(kernel):
    """Drop the messages received so far: what is waited for next is new."""
    while True:
        try:
            kernel.messages.receive_nowait()
        except trio.WouldBlock:
            return


async def run_to_end(kernel, line="run"):
    """``line`` (run, continue...), then the messages up to the end of the execution it starts."""
    drain(kernel)
    await ok(kernel, line)
    with trio.fail_after(10):
        return await kernel.wait_for(lambda m: m.type == "event" and m.kind == "run" and m.status != "running")


HANDMADE_OB = '''
from seq.lib.nodes import Template
from seq.lib.ob import OB


async def expose():
    pass


def create_sequence(*args, **kw):
    return OB.create(Template.create(expose, name="by_hand"), name="handmade")
'''


async def test_requeue_of_a_template_a_script_built_says_to_requeue_the_script(kernel, scripts):
    (scripts / "handmade.py").write_text(HANDMADE_OB)
    await ok(kernel, "load handmade")
    handmade, = (await ok(kernel, "snapshot")).data["scripts"]
    template = next(node for node in handmade["children"] if node["name"] == "by_hand")
    snapshot = (await ok(kernel, "snapshot")).data
    refusal = (await fails(kernel, f"requeue {template['sn']}")).error
    assert f"({template['sn']}) by_hand was built by its script, not from an entry of the OB: requeue the script " \
           "instead" in refusal
    assert (await ok(kernel, "snapshot")).data == snapshot
    assert (await ok(kernel, f"requeue {handmade['sn']}")).output.endswith("2 of 2 in the queue")
