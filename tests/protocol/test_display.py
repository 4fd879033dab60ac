"""The nodes and tree views print the manual's format from a snapshot."""
import protocol


def _node(sn, name, type_="A", state="FINISHED", flags=(), children=(), description=""):
    return {"sn": sn, "id": f"{name}_{sn}", "name": name, "type": type_, "state": state,
            "flags": list(flags), "description": description, "children": list(children)}


SNAPSHOT = {
    "status": "finished", "modules": ["seq.samples.a"], "obs": [],
    "scripts": [
        _node(5, "begin"),
        _node(8, "end"),
        _node(2, "Sequence", "S", description="A simple sequence", children=[
            _node(6, "begin"),
            _node(3, "a", state="FINISHED|SKIP", flags=["SKIP"]),
            _node(4, "b", flags=["PAUSE"]),
            _node(7, "end"),
        ]),
    ],
}


def test_nodes_view_matches_the_manual():
    assert protocol.format_nodes(SNAPSHOT) == "\n".join([
        "A-- (5) begin FINISHED",
        "A-- (8) end FINISHED",
        "S+- (2) Sequence FINISHED",
        "  A-- (6) begin FINISHED",
        "  A-- (3) a FINISHED|SKIP|RT.SKIP",
        "  A-- (4) b FINISHED|RT.PAUSE",
        "  A-- (7) end FINISHED",
    ])


def test_the_root_s_begin_and_end_come_first():
    root = _node(1, "_seq_ROOT_", "S", children=[SNAPSHOT["scripts"][0], SNAPSHOT["scripts"][1]])
    snapshot = {**SNAPSHOT, "scripts": [SNAPSHOT["scripts"][2]], "root": root}
    assert protocol.format_nodes(snapshot) == protocol.format_nodes(SNAPSHOT)


def test_tree_view_shows_structure_and_descriptions():
    assert protocol.format_tree(SNAPSHOT).splitlines()[2:4] == [
        "S+- (2) Sequence - A simple sequence",
        "  A-- (6) begin",
    ]


def test_display_state_joins_both_flags():
    assert protocol.display_state("PAUSED", ["PAUSE", "SKIP"]) == "PAUSED|RT.PAUSE|RT.SKIP"
