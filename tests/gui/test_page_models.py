"""The page's models, tested in the browser that runs them: snapshot.js keeps the picture of the
server by the server's own rules (checked against the server's snapshot after real runs), and
runtimes.js the times the timeline draws."""
from test_page import command

import seqclient
from seqclient import access

# Apply `events` to a Snapshot made from `start` in the page; its picture of the server.
REPLAY_INTO_SNAPSHOT = """async ({ start, events }) => {
  const { Snapshot } = await import("./snapshot.js");
  const snapshot = new Snapshot(start);
  for (const event of events) snapshot.apply(event);
  return snapshot.tree;
}"""

# RunTimes fed `steps`: [status before, event]; the times of every node it has, and which are approximate.
RUN_TIMES = """async (steps) => {
  const { RunTimes } = await import("./runtimes.js");
  const times = new RunTimes();
  for (const [status, event] of steps) {
    if (event.kind === "tree") times.retain(event.snapshot, event.ts, event.gapStart ?? null);
    else times.apply(event, status);
  }
  const result = {};
  for (const sn of times.start.keys()) {
    result[sn] = [times.start.get(sn), times.end.get(sn) ?? null, times.approximate.has(sn)];
  }
  return { times: result, errors: Object.fromEntries(times.errors) };
}"""


def test_the_pages_snapshot_follows_the_servers_rules(open_page, server, observer):
    """The events of real runs (an error, a skip, a dialog answered, one waiting), applied in the page
    to the snapshot of their start, give the snapshot a client joining then is welcomed with."""
    page = open_page(debug=False)
    start = observer.connection.welcome["snapshot"]

    def joining_now():
        with seqclient.SyncClient("127.0.0.1", server.port, client="late joiner",
                               token=access.client_token(None, "127.0.0.1")) as late:
            return late.welcome["snapshot"]

    def pages_picture():
        return page.evaluate(REPLAY_INTO_SNAPSHOT, {"start": start, "events": [e for e, _ in observer.events]})

    command(page, "load seq.samples.test_err")
    command(page, "skip -find_name Tpl.a")
    command(page, "run")
    observer.run_ended("error")
    assert pages_picture() == joining_now()

    page.locator("#error-dialog").get_by_role("button", name="Discard").click(timeout=15000)
    command(page, "clear")
    command(page, "load seq.samples.dialog")
    page.click("[data-command=run]")
    page.locator("#basic-dialog").get_by_role("button", name="perform extra step").click(timeout=15000)
    observer.run_ended("finished")
    since = observer.mark()
    command(page, "run")
    observer.run_ended("paused", since=since)  # the dialog asks, and waits
    waiting = joining_now()
    assert waiting["dialogs"] and waiting["status"] == "paused"
    assert pages_picture() == waiting
    assert {event["kind"] for event, _ in observer.events} >= {"tree", "state", "run", "dialog", "error"}


def test_the_snapshots_rules_one_by_one(open_page):
    page = open_page(debug=False)
    node = {"sn": 2, "id": "a_1", "name": "a", "type": "A", "state": "NOT_STARTED", "flags": [], "description": "",
            "children": []}
    dialog = {"kind": "dialog", "action": "request", "ts": 1.0, "sn": 2, "name": "a", "description": "",
              "condition_label": "warm?", "step_label": "warm up"}
    start = {"status": "idle", "modules": ["m"], "obs": [], "scripts": [node], "dialogs": [], "held": False}

    def after(*events):
        return page.evaluate(REPLAY_INTO_SNAPSHOT, {"start": start, "events": list(events)})

    state = {"kind": "state", "ts": 1.0, "sn": 2, "id": "a_1", "name": "a", "state": "RUNNING", "flags": ["PAUSE"]}
    assert after(state)["scripts"][0] == {**node, "state": "RUNNING", "flags": ["PAUSE"]}
    assert after({**state, "sn": 99}) == start  # a node it does not know: nothing changes
    assert after({"kind": "run", "ts": 1.0, "status": "started"})["status"] == "running"
    assert after({"kind": "run", "ts": 1.0, "status": "running"})["status"] == "running"  # both words
    assert after(dialog)["dialogs"] == [{"ts": 1.0, "sn": 2, "name": "a", "description": "",
                                         "condition_label": "warm?", "step_label": "warm up"}]
    assert after(dialog, {**dialog, "action": "resolved", "answer": "stop"})["dialogs"] == []
    for ended in ("finished", "error", "aborted"):
        assert after(dialog, {"kind": "run", "ts": 2.0, "status": ended})["dialogs"] == []
    assert after(dialog, {"kind": "run", "ts": 2.0, "status": "paused"})["dialogs"] != []
    restored = {**start, "status": "paused", "scripts": []}
    assert after(state, {"kind": "tree", "ts": 2.0, "action": "restored", "snapshot": restored}) == restored
    assert after({"kind": "log", "ts": 1.0, "level": "INFO", "logger": "x", "message": "m", "sn": 2}) == start


def state(sn, name, ts):
    return {"kind": "state", "ts": ts, "sn": sn, "id": f"n{sn}", "name": f"n{sn}", "state": name, "flags": []}


def test_run_times_start_end_and_fill_gaps(open_page):
    page = open_page(debug=False)
    steps = [
        ("idle", state(2, "SCHEDULED", 1.0)), ("idle", state(3, "SCHEDULED", 1.0)),
        ("idle", state(4, "SCHEDULED", 1.0)), ("idle", state(5, "SCHEDULED", 1.0)),
        ("running", state(2, "RUNNING", 2.0)), ("running", state(2, "FINISHED", 3.0)),
        ("running", state(2, "SCHEDULED", 3.0)), ("running", state(2, "RUNNING", 3.5)),  # a loop's next turn
        ("running", state(2, "FINISHED", 4.0)),
        ("running", state(3, "FINISHED|SKIP", 4.5)),  # skipped: starts and ends at once
        ("running", state(4, "CANCELLED", 5.0)),  # never started: no times
        ("running", state(5, "RUNNING", 4.0)), ("running", state(5, "FINISHED|ERROR", 6.0)),
        ("running", {"kind": "error", "ts": 6.0, "sn": 5, "exception": "ValueError: x"}),
    ]
    result = page.evaluate(RUN_TIMES, steps)
    assert result["times"] == {"2": [2.0, 4.0, False], "3": [4.5, 4.5, False], "5": [4.0, 6.0, False]}
    assert result["errors"] == {"5": "ValueError: x"}

    retried = steps + [("error", state(5, "SCHEDULED", 7.0))]  # scheduled again between runs: afresh
    assert page.evaluate(RUN_TIMES, retried) == {"times": {"2": [2.0, 4.0, False], "3": [4.5, 4.5, False]},
                                                 "errors": {}}

    def tree(states, gap_start):
        nodes = [{**state(sn, name, 0)} for sn, name in states.items()]
        return ("running", {"kind": "tree", "ts": 9.0, "snapshot": {"scripts": nodes}, "gapStart": gap_start})

    missed = [("running", state(6, "RUNNING", 8.0)), tree({6: "FINISHED", 7: "FINISHED", 8: "RUNNING"}, 8.5)]
    assert page.evaluate(RUN_TIMES, missed)["times"] == {
        "6": [8.0, 9.0, True], "7": [8.5, 9.0, True], "8": [8.5, None, True]}  # what happened unseen spans the gap
    reset = missed + [tree({6: "NOT_STARTED", 7: "NOT_STARTED", 8: "NOT_STARTED"}, None)]
    assert page.evaluate(RUN_TIMES, reset)["times"] == {}
