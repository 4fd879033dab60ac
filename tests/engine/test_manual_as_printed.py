"""The manual's listings typed as printed: nodes built at import, in-process runs, import paths, Node(...)."""
import ast
import asyncio
import pathlib
import threading

import networkx as nx
import pytest
import trio

from seqkernel import session
from seqkernel.engine import LoadError
from seqkernel.graph import build_graph

from .helpers import nodes, write_script

SAMPLES = pathlib.Path(__file__).resolve().parents[2] / "samples"

#: Listing 12 (manual 5.8) as printed: a notebook cell, with ``await`` at its top level.
LISTING_12 = """
async def do_a():
    ctx = Sequence.get_context()
    ctx["do_a"] = 1

def do_b():
    ctx = Sequence.get_context()
    ctx["do_b"] = 1

# creates the sequence
tpl = Sequence.create(do_a, ActionInThread(do_b))
# Sequence.root.set(tpl)
await tpl.start()
ctx = tpl.context

assert tpl.context["do_a"] == 1
assert tpl.context["do_b"] == 1
"""
#: The cell before it, which a notebook needs for the names the listing uses.
IMPORTS_CELL = "from seq.lib.nodes import Sequence, ActionInThread"


def run_cell(source, namespace):
    """Run a notebook cell the way IPython does: top-level ``await`` allowed, in the running loop."""
    code = compile(source, "<cell>", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    result = eval(code, namespace)
    return result if asyncio.iscoroutine(result) else asyncio.sleep(0)


def test_the_manuals_other_import_paths_give_the_same_objects():
    import seq.lib.nodes
    import seq.lib.ob
    import seq.nodes
    import seqlib.nodes
    import seqlib.ob

    for name in seq.lib.nodes.__all__:
        assert getattr(seq.nodes, name) is getattr(seqlib.nodes, name) is getattr(seq.lib.nodes, name), name
    assert seqlib.ob.OB is seq.lib.ob.OB


async def test_node_of_a_function_is_an_action_with_its_properties(engine):
    from seq.nodes import Action, Node, Sequence
    from seq.samples.loop1 import Tpl

    t = Tpl()
    # Creates a node with some properties.
    node_a = Node(t.a, name="node")
    assert isinstance(node_a, Action) and node_a.name == "node" and node_a.fn == t.a
    await Sequence.create(Node(t.c, name="c", id="c_node")).start()


def test_result_listing_under_asyncio_run():
    from seq.samples.result_handling import listing

    asyncio.run(listing.test_result())


def test_result_listing_and_a_notebook_cell_in_a_running_loop():
    """As in a Jupyter notebook: the cells run inside a loop that keeps running other tasks."""
    from seq.samples.result_handling import listing

    async def notebook():
        ticks = 0

        async def ticking():
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0)

        ticker = asyncio.create_task(ticking())
        namespace = {}
        await run_cell(IMPORTS_CELL, namespace)
        await run_cell(LISTING_12, namespace)
        await listing.test_result()
        await listing.test_result()  # a second run in the same loop
        ticker.cancel()
        return ticks, namespace["ctx"]

    ticks, ctx = asyncio.run(notebook())
    assert ticks > 0 and ctx == {"do_a": 1, "do_b": 1}


def test_cancelling_a_run_in_asyncio_cancels_its_steps_and_waits_for_them():
    from seq.lib.nodes import Sequence

    cleaned = []

    async def forever():
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cleaned.append(asyncio.current_task() is not None)
            raise

    async def main():
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.2):
                await Sequence.create(forever).start()

    asyncio.run(main())
    assert cleaned == [True]


@pytest.mark.trio_alone
async def test_result_listing_under_trio_alone():
    from seq.samples.result_handling import listing

    await listing.test_result()


@pytest.mark.trio_alone
async def test_asyncio_steps_under_trio_alone_keep_asyncio_semantics_and_abort_cleanly(tmp_path):
    from seq.lib.nodes import Parallel, Sequence

    events = []
    started = trio.Event()
    endless_started = threading.Event()

    async def pure_asyncio():
        async with asyncio.timeout(5):
            await asyncio.sleep(0)
        return asyncio.current_task() is not None

    async def with_trio():
        await trio.to_thread.run_sync(endless_started.wait, 10)
        started.set()  # a trio object of the caller's run
        await trio.sleep(60)

    async def endless():
        endless_started.set()
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            events.append("cleaned")
            raise

    tree = Sequence.create(pure_asyncio)
    await tree.start()
    assert tree.children[0].result is True
    with trio.move_on_after(60) as scope:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(Parallel.create(with_trio, endless).start)
            await started.wait()
            nursery.cancel_scope.cancel()
    assert not scope.cancelled_caught and events == ["cleaned"]


async def test_nodes_built_when_a_module_is_imported_get_serial_numbers_of_their_own(engine):
    """Manual 5.3 as printed: node1, node2 and the tree are built at import."""
    from seq.samples import runtime_flags

    engine.load("seq.samples.runtime_flags")
    tree = list(engine.root.walk())
    assert len({node.sn for node in tree}) == len(tree)
    assert all(engine.find(node.sn) is node for node in tree)
    script = engine.root.children[0]
    assert script is runtime_flags.s  # the module's own object: a reference to it stays good
    node1, node2, last = script.children
    assert (node1.name, node2.name, last.name) == ("a", "b", "a") and node1 is not last

    engine.run()
    assert await engine.wait(5) == "paused"
    assert f"A-- ({node1.sn}) a PAUSED|RT.PAUSE" in nodes(engine)
    engine.resume(node1.sn)
    assert await engine.wait(5) == "finished"
    lines = nodes(engine)
    assert f"A-- ({node1.sn}) a FINISHED|RT.PAUSE" in lines
    assert f"A-- ({node2.sn}) b FINISHED|SKIP|RT.SKIP" in lines
    assert f"A-- ({last.sn}) a FINISHED|SKIP|RT.SKIP" in lines

    engine.set_flag(node2.sn, "skip", False)  # by serial number: that node and no other
    assert not node2.flags and last.flags and node1.flags
    graph = build_graph(script)  # (containers are drawn as their begin and end nodes)
    drawn = sorted(sn for _, sn in graph.nodes(data="sn"))
    assert nx.is_directed_acyclic_graph(graph) and drawn == sorted(n.sn for n in script.walk() if not n.subnodes)


async def test_one_node_object_in_two_places_is_two_nodes(engine):
    """The module's Sequence ``s`` loaded twice in one load: the second place gets a copy."""
    first, second = engine.load_all([("module", "seq.samples.runtime_flags")] * 2)
    assert first is not second and first.children[0] is not second.children[0]
    assert [c.flags for c in first.children] == [c.flags for c in second.children]
    tree = list(engine.root.walk())
    assert len({node.sn for node in tree}) == len(tree) and len({node.id for node in tree}) == len(tree)
    engine.set_flag(first.children[0].sn, "pause", False)
    engine.run()
    assert await engine.wait(5) == "paused"
    assert second.children[0].state.value == "PAUSED" and first.children[0].state.value == "FINISHED"


async def test_a_name_matching_several_nodes_sets_the_flag_of_each(engine):
    engine.load("seq.samples.runtime_flags")
    node1, _, last = engine.root.children[0].children
    changed = engine.set_flag("a", "pause", False)
    assert changed == [node1, last] and not node1.flags and last.flags == 2  # SKIP stays on the last
    with pytest.raises(Exception, match=r"2 nodes are named 'a': \(\d+\) a, \(\d+\) a"):
        engine.find("a")


async def test_find_nodes_listing_with_a_sequence_built_at_import(engine):
    engine.load("seq.samples.find_nodes")
    engine.run()
    assert await engine.wait(5) == "finished"
    assert engine.find("do_a").result == 42 and engine.find("do_b").result == 43


async def test_two_nodes_with_one_id_are_refused_naming_both(engine, tmp_path):
    path = write_script(tmp_path, """
        from seq.lib.nodes import Action, Sequence
        async def a(): pass
        async def b(): pass
        def create_sequence(): return Sequence.create(Action(a, id="x"), Sequence.create(Action(b, id="x")))
    """)
    with pytest.raises(LoadError, match=r"id 'x' is given to two nodes, \(\d+\) a and \(\d+\) b; ids must be unique"):
        engine.load(path)
    assert engine.root.children == [] and engine.modules() == []
    engine.load("seq.samples.result")  # the same ids in two scripts (or two templates) are fine
    engine.load("seq.samples.result")


async def test_modules_lists_the_templates_of_loaded_obs(engine):
    engine.load("seq.samples.a")
    engine.load_ob(str(SAMPLES / "obex.json"))
    assert engine.modules() == ["seq.samples.a", "seq.samples.tpa"]


async def test_save_keeps_a_pause_flag_on_the_roots_begin_node(engine, tmp_path):
    engine.load("seq.samples.a")
    engine.set_flag(engine.root.begin.sn, "pause", True)
    session.save(engine, str(tmp_path / "night.json"))
    engine.clear()
    await session.restore(engine, str(tmp_path / "night.json"))
    assert engine.root.begin.flags and engine.root.children[0].name == "Example A"
    engine.run()
    assert await engine.wait(5) == "paused"
    assert engine.root.begin.state.value == "PAUSED"
