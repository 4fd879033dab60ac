"""OB events for OTTO derived from the kernel's state events of a loaded OB."""
import socket

from otto_fixtures import request, run_tino, sample_ob
from seqshell.config import OttoConfig
from seqshell.otto import OBEvent, OBEventTracker, OttoClient, OttoReporter, find_ob_node


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


async def test_reported_to_tino_as_the_ob_runs(ob_folder):
    async with run_tino(ob_folder, "--instrument", "FORS2") as tino:
        reporter = OttoReporter(OttoClient(OttoConfig(url=tino.url)))
        ob = sample_ob(2, "FORS2", "second")
        assert await reporter.loaded(ob, snapshot((5, "second"))) == []
        for value in ("RUNNING", "FINISHED"):
            assert await reporter.handle(state(5, value)) == []
        status, answer = await request("GET", tino.url + "events?obId=2")
        assert [e["event"] for e in answer["events"]] == ["Initiated", "Started", "Executed"]
        await tino.expect("OB 2 'second' Executed")


async def test_otto_down_is_reported_not_raised():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = "http://127.0.0.1:%d/" % sock.getsockname()[1]
    reporter = OttoReporter(OttoClient(OttoConfig(url=url)))
    problems = await reporter.loaded(sample_ob(2, "FORS2", "N"), snapshot((5, "N")))
    assert problems == [f"OB 2 Initiated not reported: OTTO at {url} is not reachable: connection refused"]
    assert reporter.tracker.feed(state(5, "RUNNING"))[0].event == "Started", "still tracked"
