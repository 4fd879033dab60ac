"""The script API as scripts use it, and loading: conventions, errors, reloads."""
import json
import logging
import pathlib

import pytest

import samples
import seq.lib
import seqkernel
from seq.lib import RTFLAG, _pause, _skip, getUserLogger, partial, set_runtime_flag
from seq.lib.nodes import Action, Loop, Parallel, Sequence, find_node, seq_factory
from seqkernel.engine import EngineBusy, LoadError, NodeNotFound, NotAllowed

from .helpers import nodes, write_script


def test_seq_lib_exports_the_script_api():
    for name in ("getUserLogger", "logConfig", "partial", "_pause", "_skip", "RTFLAG", "set_runtime_flag",
                 "Sequence", "Parallel", "Loop", "Action", "ActionInThread", "Template", "BasicDialog",
                 "seq_factory", "find_node", "get_param", "get_context", "OB"):
        assert getattr(seq.lib, name) is getattr(seqkernel, name)
    from seq.lib.log import getUserLogger as from_log
    from seq.lib.ob import OB

    assert from_log is getUserLogger and OB is seqkernel.OB
    assert getUserLogger() is logging.getLogger("seq.user")


def test_nodes_get_names_ids_descriptions_and_serial_numbers():
    class Tpl:
        async def a(self):
            """Simply a

            more text"""

    node = Action(Tpl().a)
    assert node.name == "test_nodes_get_names_ids_descriptions_and_serial_numbers.<locals>.Tpl.a"
    assert node.description == "Simply a"
    named = Action(Tpl().a, id="x", name="nice")
    assert (named.id, named.name) == ("x", "nice")
    assert named.sn > node.sn
    seq = Sequence.create(node, named)
    assert seq.id.startswith("Sequence_") and seq.id != Sequence.create().id


def test_partial_keeps_name_and_docstring():
    def f(a, b, c):
        """Adds three"""
        return a + b + c

    g = partial(f, 1, 2)
    assert g(3) == 6 and g.__name__ == "f" and g.__doc__ == "Adds three"
    with pytest.raises(TypeError):
        g(1, 2)


def test_runtime_flag_helpers():
    async def a():
        pass

    assert _pause(a).flags == RTFLAG.PAUSE
    node = _skip(Action(a))
    assert node.flags == RTFLAG.SKIP
    set_runtime_flag(node, RTFLAG.PAUSE)
    assert node.flags == RTFLAG.PAUSE | RTFLAG.SKIP
    set_runtime_flag(node, RTFLAG.SKIP, False)
    assert node.flags == RTFLAG.PAUSE


def test_find_node_returns_parent_and_node():
    async def x():
        pass

    inner = Sequence.create(Action(x, id="target"), id="inner")
    top = Parallel.create(inner)
    assert find_node(top, "target") == (inner, inner.children[0])
    assert find_node(top, "missing") == (None, None)


def test_seq_factory_conventions(tmp_path):
    import importlib.util

    def module(source):
        path = write_script(tmp_path, "from seq.lib.nodes import Sequence\nasync def s(): pass\n", source)
        spec = importlib.util.spec_from_file_location("m", path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        return mod

    by_function = module("def create_sequence(*a, **kw): return Sequence.create(s, **kw)")
    assert seq_factory(by_function, name="F").name == "F"
    by_create = module("class Tpl:\n    @staticmethod\n    def create(**kw): return Sequence.create(s, **kw)")
    assert seq_factory(by_create, name="C").name == "C"
    by_create_sequence = module(
        "class Tpl:\n    @staticmethod\n    def create_sequence(**kw): return Sequence.create(s, **kw)"
    )
    assert seq_factory(by_create_sequence, name="CS").name == "CS"
    with pytest.raises(LookupError, match="neither a create_sequence"):
        seq_factory(module("x = 1"))


async def test_subclassing_sequence_with_super_init(engine, tmp_path):
    engine.load(write_script(tmp_path, """
        from seq.lib.nodes import Sequence

        class Startup(Sequence):
            def __init__(self, device, **kw):
                super().__init__(**kw)
                self.device = device

            @staticmethod
            def create(device="dome", **kw):
                node = Startup(device, **kw)
                return node.add(node.open)

            async def open(self):
                return "opened " + self.device

        def create_sequence(**kw):
            return Startup.create(**kw)
    """))
    engine.run()
    assert await engine.wait(5) == "finished"
    assert engine.find("Startup.open").result == "opened dome"


async def test_get_param_outside_a_template_reads_seq_params(tmp_path):
    path = write_script(tmp_path, """
        from seq.lib.nodes import get_param, Sequence
        __seq_params__ = {"exptime": 3}
        async def step(): return get_param("exptime")
        async def missing(): return get_param("nope")
    """)
    import importlib.util

    spec = importlib.util.spec_from_file_location("params", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    node = Sequence.create(module.step)
    await node.start()
    assert node.children[0].result == 3
    with pytest.raises(KeyError, match="nope"):
        await Sequence.create(module.missing).start()


async def test_start_raises_the_steps_exception():
    async def broken():
        raise ValueError("bad")

    with pytest.raises(ValueError, match="bad"):
        await Sequence.create(broken).start()


async def test_loading_problems_are_clear_and_leave_the_engine_working(engine, tmp_path):
    with pytest.raises(LoadError, match="no module named 'no.such.module'"):
        engine.load("no.such.module")
    with pytest.raises(LoadError, match="SyntaxError|invalid syntax"):
        engine.load(write_script(tmp_path, "def broken(:\n"))
    with pytest.raises(LoadError, match="No module named 'missing_dependency_xyz'"):
        engine.load(write_script(tmp_path, "import missing_dependency_xyz\n"))
    with pytest.raises(LoadError, match="neither a create_sequence"):
        engine.load(write_script(tmp_path, "x = 1\n"))
    with pytest.raises(LoadError, match="RuntimeError: cannot build"):
        engine.load(write_script(tmp_path, "def create_sequence():\n    raise RuntimeError('cannot build')\n"))
    with pytest.raises(LoadError, match="no such file"):
        engine.load(str(tmp_path / "absent.py"))
    with pytest.raises(LoadError, match="not valid JSON"):
        engine.load_ob('{"templates": [')
    with pytest.raises(LoadError, match="no 'templates' list"):
        engine.load_ob({"name": "empty"})
    assert engine.snapshot()["scripts"] == []
    engine.load("seq.samples.node_context")
    engine.run()
    assert await engine.wait(5) == "finished"


async def test_reload_picks_up_edits(engine, tmp_path):
    package = tmp_path / "edited_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    source = "from seq.lib.nodes import Sequence\nasync def step(): return {}\ndef create_sequence(): return Sequence.create(step)\n"
    (package / "script.py").write_text(source.format(1))
    import sys

    sys.path.insert(0, str(tmp_path))
    try:
        engine.load("edited_pkg.script")
        (package / "script.py").write_text(source.format(2) + "\n# edited\n")
        engine.load("edited_pkg.script")
        engine.run()
        assert await engine.wait(5) == "finished"
        # the script loaded first keeps the code it was built with; the new one runs the edit
        assert [node.result for node in engine.root.walk() if node.name == "step"] == [1, 2]
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("edited_pkg.script", None)
        sys.modules.pop("edited_pkg", None)


async def test_control_errors_name_the_problem(engine):
    with pytest.raises(NotAllowed, match="nothing to run"):
        engine.run()
    engine.load("seq.samples.node_context")
    with pytest.raises(NodeNotFound, match="no node with serial number 99"):
        engine.set_flag(99, "skip")
    with pytest.raises(NodeNotFound, match="no node named 'nope'"):
        engine.find("nope")
    with pytest.raises(ValueError, match="unknown flag"):
        engine.set_flag(2, "stop")
    with pytest.raises(NotAllowed, match="has failed"):
        engine.retry()
    with pytest.raises(NotAllowed, match="is not paused"):
        engine.resume(2)
    with pytest.raises(NotAllowed, match="nothing is running"):
        engine.abort()
    engine.set_flag("do_a", "pause")
    engine.run()
    with pytest.raises(EngineBusy):
        engine.run()
    assert await engine.wait(5) == "paused"
    engine.abort()
    assert await engine.wait(5) == "aborted"


async def test_serial_numbers_start_again_after_clear(engine):
    engine.load("seq.samples.a")
    first = nodes(engine)
    engine.clear()
    assert engine.snapshot()["scripts"] == [] and engine.recorder.of("tree")[-1]["action"] == "cleared"
    engine.load("seq.samples.a")
    assert nodes(engine) == first


async def test_snapshot_shape(engine):
    engine.load("seq.samples.loop1")
    snapshot = engine.snapshot()
    assert snapshot["status"] == "idle" and snapshot["modules"] == ["seq.samples.loop1"]
    (loop,) = snapshot["scripts"]
    assert loop["type"] == "L"
    assert [c["name"] for c in loop["children"]] == ["begin", "Tpl.check_condition", "Tpl.a", "Tpl.b", "Tpl.c", "end"]
    assert set(loop) == {"sn", "id", "name", "type", "state", "flags", "description", "children"}
    assert loop["children"][2]["description"] == "sleeps up to 1 second"
    assert Loop.index.get() == 0


async def test_an_ob_whose_name_is_a_number_is_loaded_under_that_name(engine):
    data = json.loads((pathlib.Path(samples.__file__).parent / "obex.json").read_text())
    data["obsDescription"]["name"] = 42
    ob = engine.load_ob(data)
    assert ob.name == "42"
    assert engine.snapshot()["scripts"][0]["name"] == "42"


def test_ob_variable_types_are_checked():
    from seqkernel.ob import coerce

    assert coerce("integer", "7") == 7 and coerce("integer", 3.0) == 3
    assert coerce("number", "2.5") == 2.5 and coerce("number", 4) == 4
    assert coerce("boolean", "true") is True and coerce("boolean", "no") is False
    assert coerce("string", 5) == "5"
    for declared, value in (("integer", "1.5"), ("integer", True), ("number", "x"), ("boolean", "maybe")):
        with pytest.raises(ValueError):
            coerce(declared, value)


def test_the_dag_of_a_script():
    import networkx as nx

    from seqkernel.graph import build_graph, key

    async def a():
        pass

    async def b():
        pass

    inner = Parallel.create(a, b, name="par")
    loop = Loop.create(a, condition=lambda: False, name="loop")
    top = Sequence.create(inner, loop, name="top")
    top.add_endpoints()
    graph = build_graph(top)
    assert nx.is_directed_acyclic_graph(graph)
    assert set(graph.successors(key(inner.begin))) == {key(child) for child in inner.children}
    assert set(graph.predecessors(key(inner.end))) == {key(child) for child in inner.children}
    assert graph.has_edge(key(inner.end), key(loop.begin))
    assert graph.has_edge(key(loop.condition), key(loop.end))
    assert graph.graph["repeats"] == [(key(loop.children[0]), key(loop.condition))]
    assert graph.nodes[key(top.begin)]["role"] == "begin" and graph.nodes[key(loop.end)]["role"] == "end"
    assert graph.graph["containers"][inner.sn] == {"name": "par", "type": "P", "parent": top.sn}
