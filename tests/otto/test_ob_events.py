"""OB events for OTTO derived from the kernel's state events of a loaded OB."""
import trio

from otto_fixtures import closed_port_url, request, run_tino, sample_ob
from seqclient.config import OttoConfig
from seqshell.ob_events import OBEvent, OBEventTracker, find_ob_node
from seqshell.otto import OttoClient, OttoReporter


def node(sn, name, type_, children=()):
    return {"sn": sn, "id": f"n{sn}", "name": name, "type": type_, "state": "NOT_STARTED",
            "flags": [], "description": "", "children": list(children)}


def snapshot(*obs):
    """A tree holding the OBs given as (sn, name): each with one template of one step."""
    scripts = [
        node(sn, name, "O", [node(sn + 1, "begin", "A"), node(sn + 2, "Template", "T", [node(sn + 3, "do_sum", "A")]),
                             node(sn + 4, "end", "A")])
        for sn, name in obs
    ]
    return {"status": "idle", "modules": [], "obs": [], "scripts": scripts}


def state(sn, value):
    return {"type": "event", "kind": "state", "ts": 0.0, "sn": sn, "id": f"n{sn}", "name": "", "state": value, "flags": []}


def test_a_run_reports_started_then_executed():
    tracker = OBEventTracker()
    ob = sample_ob(7, "FORS2", "Night one")
    assert tracker.loaded(ob, snapshot((10, "other"), (20, "Night one"))) == [OBEvent(7, "Initiated", "Night one")]
    reported = []
    for sn, value in [(10, "RUNNING"), (20, "SCHEDULED"), (20, "RUNNING"), (23, "RUNNING"), (23, "FINISHED"),
                      (20, "FINISHED"), (10, "FINISHED")]:
        reported += tracker.feed(state(sn, value))
    assert [(e.ob_id, e.event) for e in reported] == [(7, "Started"), (7, "Executed")]


def test_error_retry_reset_and_skip():
    tracker = OBEventTracker()
    tracker.loaded(sample_ob(7, "FORS2", "N"), snapshot((2, "N")))
    feed = lambda *values: [e.event for v in values for e in tracker.feed(state(2, v))]
    assert feed("RUNNING", "CANCELLED|ERROR") == ["Started"]
    assert feed("RUNNING", "FINISHED") == ["Executed"], "a retry is not a new start"
    assert feed("NOT_STARTED", "RUNNING", "FINISHED") == ["Started", "Executed"], "after a reset"
    assert feed("NOT_STARTED", "FINISHED|SKIP") == [], "a skipped OB was not executed"
    assert feed("FINISHED") == ["Started", "Executed"], "never Executed without Started"


def test_follows_the_ob_into_a_restored_tree_and_forgets_it_when_cleared():
    tracker = OBEventTracker()
    tracker.loaded(sample_ob(7, "FORS2", "N"), snapshot((2, "M"), (12, "N")))
    restored = snapshot((30, "M"), (40, "N"))
    assert tracker.feed({"kind": "tree", "action": "restored", "snapshot": restored}) == []
    assert tracker.feed(state(12, "RUNNING")) == []
    assert [e.event for e in tracker.feed(state(40, "RUNNING"))] == ["Started"]
    tracker.feed({"kind": "tree", "action": "cleared", "snapshot": snapshot()})
    assert tracker.feed(state(40, "FINISHED")) == []


def test_the_ob_loaded_last_is_the_one_tracked():
    tree = snapshot((2, "N"), (12, "N"))
    assert find_ob_node(tree, "N")["sn"] == 12
    assert find_ob_node(tree, "missing") is None
    tree["obs"] = [{"index": 0, "sn": 2, "name": "N", "source": "/night/ob_1.json"},
                   {"index": 1, "sn": 12, "name": "N", "source": "/night/ob_1-2.json"}]
    assert find_ob_node(tree, "N", source="/night/ob_1.json")["sn"] == 2, "the file tells them apart"


async def test_reported_to_tino_as_the_ob_runs(ob_folder, nursery):
    async with run_tino(ob_folder, "--instrument", "FORS2") as tino:
        reporter = OttoReporter(OttoClient(OttoConfig(url=tino.url)))
        await nursery.start(reporter.run)
        reporter.loaded(sample_ob(2, "FORS2", "second"), snapshot((5, "second")))
        for value in ("RUNNING", "FINISHED"):
            reporter.handle(state(5, value))
        await tino.expect("OB 2 'second' Executed")
        status, answer = await request("GET", tino.url + "events?obId=2")
        assert [e["event"] for e in answer["events"]] == ["Initiated", "Started", "Executed"]
        nursery.cancel_scope.cancel()


async def test_otto_down_is_a_problem_reported_not_raised(nursery):
    url = closed_port_url()
    problems, receive_problems = trio.open_memory_channel(10)
    reporter = OttoReporter(OttoClient(OttoConfig(url=url)), on_problem=problems.send_nowait)
    await nursery.start(reporter.run)
    reporter.loaded(sample_ob(2, "FORS2", "N"), snapshot((5, "N")))
    reporter.handle(state(5, "RUNNING"))
    with trio.fail_after(10):
        assert await receive_problems.receive() == (
            f"OB 2 Initiated not reported: OTTO at {url} is not reachable: connection refused")
        assert (await receive_problems.receive()).startswith("OB 2 Started not reported")
    nursery.cancel_scope.cancel()
