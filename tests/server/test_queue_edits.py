"""Queue edits through the real server: every client holds the same tree after each edit, late joiners
too; refusals during a run; and the edited queue restored after a kill -9 of the kernel."""
import json
import os
import signal

import pytest
from night_scripts import write_night
from server_harness import chain_pids, is_notice, is_run, next_event, running_server


@pytest.fixture
def night(tmp_path):
    """Scripts and OBs in a directory a server runs in."""
    write_night(tmp_path, obs={"night": (1, 2, 3), "other": (5,)})
    return tmp_path


def tree(snapshot):
    """What the operators see of a snapshot: the queue (nodes, states, flags), its OBs and modules, the hold."""
    return {key: snapshot.get(key) for key in ("root", "scripts", "obs", "modules", "held")}


def shape(snapshot):
    """The queue's structure: each node's serial number, name and type, nested as in the tree."""
    def node(n):
        return (n["sn"], n["name"], n["type"], [node(child) for child in n["children"]])
    return [node(item) for item in snapshot["scripts"]]


def sn_of(snapshot, name, index=0):
    return [item["sn"] for item in snapshot["scripts"] if item["name"] == name][index]


def templates_of(snapshot, name):
    ob = next(item for item in snapshot["scripts"] if item["name"] == name)
    return [child["sn"] for child in ob["children"] if child["type"] == "T"]


def is_tree(action):
    return lambda event: event.get("kind") == "tree" and event["action"] == action


async def snapshot_of(conn):
    reply = await conn.command("snapshot")
    assert reply.ok, reply.error
    return reply.data


async def test_every_client_holds_the_tree_after_each_edit_late_joiners_too(night):
    async with running_server(cwd=night) as server, server.connect("operator") as operator, \
            server.connect("watcher") as watcher:
        for line in ("load alpha beta gamma", "ob night.json"):
            assert (await operator.command(line)).ok
        first = await snapshot_of(operator)
        alpha, beta, gamma, ob = (sn_of(first, name) for name in ("alpha", "beta", "gamma", "night"))
        one, two, three = templates_of(first, "night")
        edits = [
            (f"move {gamma} --first", "moved"),
            (f"move {three} --before {one}", "moved"),
            (f"requeue {two} --first", "inserted"),
            (f"load beta --after {ob}", "inserted"),
            (f"remove {alpha} {one}", "removed"),
            (f"replace {beta} other.json", "replaced"),
            (f"ob other.json --before {gamma}", "inserted"),
            ("pause", "held"),
        ]
        for line, action in edits:
            reply = await operator.command(line)
            assert reply.ok, f"{line}: {reply.error}"
            await next_event(watcher.events(), is_tree(action))
            truth = await snapshot_of(watcher)
            assert tree(operator.snapshot.current()) == tree(watcher.snapshot.current()) == tree(truth), line
        assert [item["name"] for item in truth["scripts"]] == ["other", "gamma", "other", "night", "beta"]
        assert [row["value"] for row in (await watcher.command("lsvar")).data] == [5, 5, 2, 3, 2]
        async with server.connect("late") as late:
            assert tree(late.snapshot.current()) == tree(truth)


async def test_refusals_during_a_run_and_an_edit_that_takes_effect_in_it(night):
    async with running_server(cwd=night) as server, server.connect("operator") as operator, \
            server.connect("watcher") as watcher:
        assert (await operator.command("load gate alpha beta")).ok
        snapshot = await snapshot_of(operator)
        gate, alpha, beta = (sn_of(snapshot, name) for name in ("gate", "alpha", "beta"))
        assert (await watcher.command("run")).ok
        await next_event(operator.events(), is_run("paused"))  # at the gate's breakpoint
        refused = await operator.command(f"move {gate} --last")
        assert refused.error == (f"cannot move ({gate}) gate: it is RUNNING; while a run is in progress only what "
                                 "has not started may change")
        refused = await watcher.command(f"remove {alpha} {gate}")
        assert f"cannot remove ({gate}) gate: it is RUNNING" in refused.error
        assert tree(await snapshot_of(operator)) == tree(watcher.snapshot.current())
        assert (await operator.command(f"move {beta} --first")).ok  # runs next
        inside = next(node["sn"] for node in (await snapshot_of(operator))["scripts"][0]["children"]
                      if node["name"] == "inside")
        assert (await watcher.command(f"resume {inside}")).ok
        await next_event(operator.events(), is_run("finished"))
        history = (await operator.command("history")).data
        assert [entry["name"] for entry in history] == ["gate", "beta", "alpha"]


async def test_the_edited_queue_survives_a_kill_9_of_the_kernel(night):
    async with running_server(cwd=night) as server, server.connect("operator") as operator:
        for line in ("load alpha beta gamma", "ob night.json", "load gate --first"):
            assert (await operator.command(line)).ok, line
        first = await snapshot_of(operator)
        alpha, beta, gamma, ob = (sn_of(first, name) for name in ("alpha", "beta", "gamma", "night"))
        one, two, three = templates_of(first, "night")
        for line in (f"move {three} --first", "setvar 0 1 exptime 7.5", f"requeue {one} --after {three}",
                     f"remove {beta}", f"requeue {gamma} --first", f"replace {alpha} other.json",
                     f"move {ob} --last", "skip -find_name opening", "run"):
            reply = await operator.command(line)
            assert reply.ok, f"{line}: {reply.error}"
        await next_event(operator.events(), is_run("paused"))  # the gate's breakpoint, in the second item
        before = await snapshot_of(operator)
        variables = (await operator.command("lsvar")).data
        shell, kernel = chain_pids(server)

        os.kill(kernel, signal.SIGKILL)

        restored = await next_event(operator.events(), is_notice("restored"))
        assert restored["message"] == "restored 10 loading command(s) and 2 flag(s)"
        after = await snapshot_of(operator)
        assert shape(after) == shape(before)  # the same queue, every node with the same serial number
        assert (await operator.command("lsvar")).data == variables
        flags = {node["name"]: node["flags"] for item in after["scripts"] for node in item["children"] if node["flags"]}
        assert flags == {"opening": ["SKIP"], "inside": ["PAUSE"]}
        assert tree(operator.snapshot.current()) == tree(after)


TOKEN_FILE = """\
watch-token   observer  control-room-wall
drive-token   operator  night-ops
build-token   engineer  day-engineer
"""


async def test_queue_edits_are_the_operators_loading_code_the_engineers_and_all_are_audited(night):
    (night / "tokens").write_text(TOKEN_FILE)
    log = night / "audit.jsonl"
    async with running_server("--token-file", str(night / "tokens"), "--audit-log", str(log), cwd=night) as server, \
            server.connect("wall", token="watch-token") as wall, server.connect("seqgui", token="drive-token") as ops, \
            server.connect("seqshell", token="build-token") as engineer:
        assert (await engineer.command("load alpha beta gamma")).ok
        loaded = await snapshot_of(wall)
        alpha, beta, gamma = (sn_of(loaded, name) for name in ("alpha", "beta", "gamma"))
        for line in (f"move {gamma} --first", f"remove {alpha}", "pause", "resume", f"requeue {beta}"):
            refused = await wall.command(line)
            assert refused.error == (f"{line.split()[0]}: needs the operator role; your token (control-room-wall) "
                                     "gives observer"), line
            assert (await ops.command(line)).ok, line
        for line in ("queue", "history"):
            assert (await wall.command(line)).ok, line
        refused = await ops.command(f"replace {gamma} other.json")
        assert refused.error == "replace: needs the engineer role; your token (night-ops) gives operator"
        assert not (await ops.command(f"load alpha --after {gamma}")).ok
        assert (await engineer.command(f"replace {gamma} other.json")).ok
        assert [item["name"] for item in (await snapshot_of(wall))["scripts"]] == ["other", "beta", "beta"]

    entries = [json.loads(line) for line in log.read_text().splitlines()]
    done = [(entry["token"], entry["line"], entry["ok"]) for entry in entries if entry["event"] == "command"]
    assert done == [("day-engineer", "load alpha beta gamma", True),
                    ("night-ops", f"move {gamma} --first", True), ("night-ops", f"remove {alpha}", True),
                    ("night-ops", "pause", True), ("night-ops", "resume", True), ("night-ops", f"requeue {beta}", True),
                    ("day-engineer", f"replace {gamma} other.json", True)]
    refused = [(entry["token"], entry["line"], entry["needs"]) for entry in entries if entry["event"] == "refused"]
    assert refused == [*(("control-room-wall", line, "operator") for line in (
        f"move {gamma} --first", f"remove {alpha}", "pause", "resume", f"requeue {beta}")),
        ("night-ops", f"replace {gamma} other.json", "engineer"), ("night-ops", f"load alpha --after {gamma}", "engineer")]


CRASHING = """
import os

from seq.lib.nodes import Sequence

async def crash():
    os._exit(3)

def create_sequence(*args, **kw):
    return Sequence.create(crash, name="crashing", **kw)
"""


async def test_a_kernel_dying_in_an_item_inserted_during_the_run_is_reported_with_its_step(night):
    (night / "crashing.py").write_text(CRASHING)
    async with running_server(cwd=night) as server, server.connect("operator") as operator:
        assert (await operator.command("load gate")).ok
        events = operator.events()
        assert (await operator.command("run")).ok
        await next_event(events, is_run("paused"))  # at the gate's breakpoint
        snapshot = await snapshot_of(operator)
        inside = next(node["sn"] for node in snapshot["scripts"][0]["children"] if node["name"] == "inside")
        assert (await operator.command(f"load crashing --after {sn_of(snapshot, 'gate')}")).ok
        crash = next(node["sn"] for node in (await snapshot_of(operator))["scripts"][1]["children"]
                     if node["name"] == "crash")
        assert (await operator.command(f"resume {inside}")).ok
        died = await next_event(events, is_notice("the kernel died"))
        assert f"while running step 'crash' (sn {crash})" in died["message"]
