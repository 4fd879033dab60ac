"""The snapshot model every process keeps: the rules of protocol/README.md section 5."""
import copy

import pytest

import protocol


def node(sn, name, state="NOT_STARTED", flags=(), children=()):
    return {"sn": sn, "id": f"{name}_{sn}", "name": name, "type": "A", "state": state, "flags": list(flags),
            "description": "", "children": list(children)}


def loaded() -> dict:
    return {"status": "idle", "modules": ["m"], "obs": [], "dialogs": [],
            "root": node(1, "_seq_ROOT_", children=[node(2, "begin"), node(3, "end")]),
            "scripts": [node(4, "Night", children=[node(5, "begin"), node(6, "a", flags=["PAUSE"]), node(7, "end")])]}


def event(kind, **fields):
    return protocol.Event(kind=kind, ts=1.0, **fields)


def test_states_runs_and_dialogs_are_applied_and_the_maps_fed_are_left_alone():
    tree = loaded()
    kept = copy.deepcopy(tree)
    message = event("tree", action="loaded", snapshot=tree)
    model = protocol.Snapshot()
    model.apply(message)
    model.apply(event("state", sn=6, id="a_6", name="a", state="RUNNING", flags=[]))
    model.apply(event("run", status="running"))
    model.apply(event("dialog", action="request", sn=6, name="a", description="", condition_label="ok?",
                      step_label="fix"))
    assert model.node(6)["state"] == "RUNNING" and model.node(6)["flags"] == [] and model.status == "running"
    assert [dialog["sn"] for dialog in model.open_dialogs()] == [6]
    assert tree == kept  # the event's snapshot, which may still be on its way to others, is unchanged
    model.apply(event("run", status="error"))
    assert model.open_dialogs() == []


def test_a_tree_event_replaces_everything_and_unknown_nodes_are_ignored():
    model = protocol.Snapshot(loaded())
    model.apply(event("state", sn=99, id="x", name="x", state="RUNNING", flags=[]))
    model.apply(event("tree", action="cleared", snapshot=protocol.empty_snapshot()))
    assert model.current()["scripts"] == [] and model.node(6) is None


def test_nodes_are_found_by_serial_number_and_by_position():
    model = protocol.Snapshot(loaded())
    assert [n["sn"] for n in model.nodes()] == [4, 5, 6, 7]  # the root's own nodes are not the scripts'
    assert model.node(2)["name"] == "begin"  # but are found by serial number
    assert model.flagged_positions() == [((0, 1), ["PAUSE"])]
    assert model.sn_at((0, 1)) == 6 and model.sn_at((0, 9)) is None and model.sn_at((3,)) is None
    assert [position for position, _ in protocol.walk_nodes(model.current()["scripts"])] == [
        (0,), (0, 0), (0, 1), (0, 2)]


def queue() -> dict:
    """Two items: a script (4) and an OB (8) with templates 10 and 11."""
    ob = {**node(8, "night", children=[node(9, "begin"), {**node(10, "Template"), "type": "T"},
                                       {**node(11, "Template"), "type": "T"}, node(12, "end")]), "type": "O"}
    return {**loaded(), "scripts": [*loaded()["scripts"], ob],
            "obs": [{"index": 0, "sn": 8, "name": "night", "source": None, "templates": ["t", "t"]}]}


def edit(action, **fields):
    return event("tree", action=action, **fields)


def test_edits_change_only_the_nodes_they_name():
    model = protocol.Snapshot(queue())
    model.apply(edit("moved", sn=11, parent=8, index=1, obs=[]))
    assert [child["sn"] for child in model.node(8)["children"]] == [9, 11, 10, 12]
    other = {"index": 0, "sn": 20, "name": "other", "source": "other.json", "templates": ["t"]}
    model.apply(edit("inserted", parent=1, index=0, nodes=[{**node(20, "other", children=[node(21, "begin")]),
                                                           "type": "O"}], obs=[other], modules=["t", "m"]))
    assert [item["sn"] for item in model.current()["scripts"]] == [20, 4, 8]
    assert [(ob["index"], ob["sn"]) for ob in model.current()["obs"]] == [(0, 20), (1, 8)]
    assert model.node(21)["name"] == "begin" and model.current()["modules"] == ["t", "m"]
    model.apply(edit("moved", sn=20, parent=1, index=2, obs=[]))
    assert [(ob["index"], ob["sn"]) for ob in model.current()["obs"]] == [(0, 8), (1, 20)]
    model.apply(edit("removed", sns=[4, 10], obs=[{**queue()["obs"][0], "templates": ["t"]}], modules=["t"]))
    assert [item["sn"] for item in model.current()["scripts"]] == [8, 20]
    assert model.node(4) is None and model.node(6) is None and model.node(10) is None
    assert model.current()["obs"][0]["templates"] == ["t"]
    model.apply(edit("replaced", sn=8, nodes=[node(30, "gamma", children=[node(31, "step")])], obs=[],
                     modules=["g", "t"]))
    assert [item["sn"] for item in model.current()["scripts"]] == [30, 20]
    assert model.node(8) is None and model.node(11) is None and model.node(31)["name"] == "step"
    assert [ob["sn"] for ob in model.current()["obs"]] == [20]
    model.apply(event("state", sn=31, id="step_31", name="step", state="RUNNING", flags=[]))
    assert model.node(31)["state"] == "RUNNING"
    model.apply(edit("held", held=True))
    assert model.current()["held"] is True


def test_an_edit_event_says_what_it_changed():
    for action, fields in protocol.TREE_ACTIONS.items():
        values = {name: {"snapshot": {}, "held": True}.get(name, [] if name in ("sns", "nodes", "obs", "modules") else 1)
                  for name in fields}
        event("tree", action=action, **values)  # valid with exactly its fields
    with pytest.raises(protocol.ProtocolError, match="missing field 'index' \\(required in a tree event 'moved'\\)"):
        edit("moved", sn=3, parent=1, obs=[])
    with pytest.raises(protocol.ProtocolError, match="field 'snapshot' is not part of a tree event 'held'"):
        edit("held", held=True, snapshot={})
