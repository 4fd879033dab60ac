"""The work log: which answered commands a fresh shell and kernel are given again."""
import protocol
from seqserver.worklog import WorkLog

OK = protocol.Reply(id=1, ok=True, output="")
FAILED = protocol.Reply(id=1, ok=False, output="", error="no")


def test_loaded_work_and_settings_are_kept_in_order_and_clear_drops_the_work_only():
    log = WorkLog()
    for line, reply in [("load a", OK), ("load broken", FAILED), ("nodes", OK), ("otto set url=http://x/", OK),
                        ("instrument", OK), ("instrument FORS2", OK), ("setvar 0 1 x 3", OK), ("skip 4", OK)]:
        log.record(line, reply)
    assert log.settings() == ["otto set url=http://x/", "instrument FORS2"]
    assert log.lines() == ["load a", "setvar 0 1 x 3"]  # flags are taken from the snapshot instead
    log.record("clear", OK)
    log.record("ob /night/ob.json", OK)
    assert log.lines() == ["ob /night/ob.json"] and log.settings() == ["otto set url=http://x/", "instrument FORS2"]


def test_a_fetched_ob_is_loaded_again_from_the_file_its_reply_names():
    log = WorkLog()
    log.record("fetch", protocol.Reply(id=1, ok=True, output="fetched OB 42", data={"ob_file": "/s/ob 42.json"}))
    assert log.lines() == ["ob '/s/ob 42.json'"]


def test_lines_that_are_not_commands_are_ignored_and_forget_forgets_everything():
    log = WorkLog()
    for line in ("frobnicate", "load 'unclosed", "", "instrument X"):
        log.record(line, OK)
    assert log.settings() == ["instrument X"] and log.lines() == []
    log.forget()
    assert log.settings() == [] == log.lines()
