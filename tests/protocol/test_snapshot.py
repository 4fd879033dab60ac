"""The snapshot model every process keeps: the rules of protocol/README.md section 5."""
import copy

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
