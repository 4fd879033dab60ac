"""How the shell shows events (pure functions and the tree view, no processes)."""
import protocol
from seqshell.display import OutputLines, TreeView, dialog_prompt, format_event


def event(kind, **fields):
    return protocol.Event(kind=kind, ts=1.0, **fields)


def node(sn, name, children=()):
    return {"sn": sn, "id": f"{name}{sn}", "name": name, "type": "A", "state": "NOT_STARTED", "flags": [],
            "description": "", "children": list(children)}


SNAPSHOT = {**protocol.empty_snapshot(), "root": node(1, "_seq_ROOT_", [node(2, "begin"), node(3, "end")]),
            "scripts": [node(4, "Night", [node(5, "begin"), node(6, "expose"), node(7, "end")])]}


def shown(event_, previous=None) -> str | None:
    text = format_event(event_, previous)
    return None if text is None else text.plain


def test_state_lines_only_for_script_nodes_reaching_a_new_state_worth_seeing():
    view = TreeView(SNAPSHOT)
    running = event("state", sn=6, id="expose6", name="expose", state="RUNNING", flags=["PAUSE"])
    assert shown(running, view.state_of(6)) == "(6) expose RUNNING|RT.PAUSE"
    assert view.state_of(1) is None and view.state_of(2) is None  # the root's own nodes are not shown
    for quiet in ("SCHEDULED", "NOT_STARTED"):
        assert shown(event("state", sn=6, id="e", name="expose", state=quiet, flags=[]), "RUNNING") is None
    assert shown(event("state", sn=5, id="b", name="begin", state="RUNNING", flags=[]), "NOT_STARTED") is None


def test_logs_errors_runs_notices_and_dialogs_read_as_an_operator_expects():
    assert shown(event("log", level="INFO", logger="seq.user", message="Ax", sn=6)) == "INFO:seq.user:Ax"
    error = event("error", sn=6, id="e", name="expose", exception="RuntimeError: shutter", traceback="Traceback...\n",
                  file="/s/night.py", line=19)
    assert shown(error) == "ERROR in (6) expose: RuntimeError: shutter at /s/night.py:19\nTraceback..."
    assert shown(event("run", status="running")) == "run started"
    assert shown(event("notice", level="WARNING", message="slow")) == "WARNING: slow"
    request = event("dialog", action="request", sn=8, name="lamp", description="warm?", condition_label="warm?",
                    step_label="warm up")
    assert "answer 8 perform | answer 8 stop" in shown(request)


def test_output_is_shown_in_whole_lines():
    lines = OutputLines()
    assert lines.feed(event("output", stream="stdout", text="half ")) == []
    [whole] = lines.feed(event("output", stream="stdout", text="a line\nand a bit"))
    assert whole["text"] == "half a line"
    assert [e["text"] for e in lines.flush()] == ["and a bit"]


def test_the_prompt_offers_the_answers_while_dialogs_wait():
    assert dialog_prompt([]) == "(seq)>> "
    assert dialog_prompt([{"sn": 8, "name": "lamp"}]) == "(seq: dialog 8 lamp: answer SN perform|stop)>> "
    view = TreeView(SNAPSHOT)
    view.apply(event("state", sn=6, id="e", name="expose", state="NOT_STARTED", flags=["PAUSE"]))
    assert [n["sn"] for n in view.paused_nodes()] == [6] and view.name_choices() == ["Night", "expose"]
