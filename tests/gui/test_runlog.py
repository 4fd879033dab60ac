"""Reading a run's log back (seqserver.runlog): what seqtool run writes becomes the events it records."""
import subprocess
import sys

import pytest

from seqserver.runlog import RunLogError, read_run_log, state_and_flags


@pytest.fixture(scope="module")
def failed_run(tmp_path_factory):
    """The log of ``seqtool run seq.samples.test_err`` (step a runs, b fails, c is cancelled), read back."""
    folder = tmp_path_factory.mktemp("run")
    subprocess.run([sys.executable, "-m", "seqtool", "run", "seq.samples.test_err"], cwd=folder,
                   capture_output=True, timeout=60)
    [log] = folder.glob("seqrun_*.log")
    return read_run_log(log.read_text())


def test_the_tree_comes_back_nested_without_the_roots_endpoints(failed_run):
    tree = failed_run.events[0]
    assert tree["kind"] == "tree" and tree["action"] == "loaded"
    [script] = tree["snapshot"]["scripts"]
    assert (script["name"], script["type"]) == ("Sequence", "S")
    assert [child["name"] for child in script["children"]] == ["begin", "Tpl.a", "Tpl.b", "Tpl.c", "end"]
    assert failed_run.nodes == 6 and failed_run.not_understood == []


def test_states_runs_errors_and_log_records_come_back_in_order(failed_run):
    kinds = [event["kind"] for event in failed_run.events]
    assert kinds.index("tree") < kinds.index("state") < kinds.index("run")
    assert [e["status"] for e in failed_run.events if e["kind"] == "run"] == ["running", "error"]
    [error] = [e for e in failed_run.events if e["kind"] == "error"]
    assert (error["name"], error["exception"]) == ("Tpl.b", "ZeroDivisionError: division by zero")
    assert "test_err.py" in error["traceback"] and error["traceback"].endswith("ZeroDivisionError: division by zero")
    b = [e["state"] for e in failed_run.events if e["kind"] == "state" and e["name"] == "Tpl.b"]
    assert b == ["SCHEDULED", "RUNNING", "FINISHED|ERROR"]
    logs = [(e["logger"], e["message"]) for e in failed_run.events if e["kind"] == "log"]
    assert ("seq.user", "Starting Task: Tpl.b") in logs and ("seq.samples.test_err", "b") in logs
    times = [e["ts"] for e in failed_run.events]
    assert times == sorted(times)


def test_the_display_form_splits_into_state_and_flags():
    assert state_and_flags("FINISHED|SKIP|RT.SKIP") == ("FINISHED|SKIP", ["SKIP"])
    assert state_and_flags("PAUSED|RT.PAUSE|RT.SKIP") == ("PAUSED", ["PAUSE", "SKIP"])
    assert state_and_flags("CANCELLED|ERROR") == ("CANCELLED|ERROR", [])


def test_lines_it_does_not_understand_are_told_and_a_log_without_a_tree_refused():
    log = ("2026-12-07 18:07:58,252 TREE loaded: s\n    S+- (2) s NOT_STARTED\n      A-- (3) a NOT_STARTED\n"
           "2026-12-07 18:07:58,253 INFO mine: two\nlines\n"
           "2026-12-07 18:07:58,254 something else\n"
           "2026-12-07 18:07:58,255 STATE (3) a RUNNING|RT.PAUSE\n")
    read = read_run_log(log)
    assert read.not_understood == ["something else"]
    assert read.events[1]["message"] == "two\nlines"
    assert read.events[2] == {"kind": "state", "ts": read.events[2]["ts"], "sn": 3, "id": "a_3", "name": "a",
                              "state": "RUNNING", "flags": ["PAUSE"]}
    with pytest.raises(RunLogError, match="lists no tree"):
        read_run_log("2026-12-07 18:07:58,253 INFO mine: hello\n")
