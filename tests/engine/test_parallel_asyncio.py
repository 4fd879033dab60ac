"""A Parallel of pure-asyncio steps: each child an asyncio task of its own, all under one bridged call.

The children share one crossing from trio into asyncio, yet each keeps what it
would have as a task of its own: its states, its flags, its error report, its
clean-up on abort and its context variables.
"""
from pathlib import Path

from .helpers import run_to_end, states, write_script

HEADER = """
import asyncio, contextvars, logging
from seq.lib.nodes import Sequence, Parallel, Loop
log = logging.getLogger("script")
"""


async def test_each_child_publishes_its_own_states_and_task_logs(engine, tmp_path):
    engine.load(write_script(tmp_path, HEADER, """
        async def a(): log.info("in a"); await asyncio.sleep(0)
        async def b(): log.info("in b")
        async def c(): log.info("in c"); await asyncio.sleep(0)
        def create_sequence(): return Parallel.create(a, b, c, name="par")
    """))
    assert await run_to_end(engine) == "finished"
    for name in "abc":
        node = engine.find(name)
        assert engine.recorder.states_of(node.sn) == ["SCHEDULED", "RUNNING", "FINISHED"]
        logs = [(r["message"], r["sn"]) for r in engine.recorder.of("log") if r["sn"] == node.sn]
        assert logs == [(f"Starting Task: {name}", node.sn), (f"in {name}", node.sn), (f"End Task: {name}", node.sn)]
    assert states(engine)["par"] == "FINISHED"


async def test_context_variables_and_tasks_are_per_child(engine, tmp_path):
    engine.load(write_script(tmp_path, HEADER, """
        mine = contextvars.ContextVar("mine", default="unset")
        seen = []
        both_set = asyncio.Barrier(2)
        def step(tag):
            async def run():
                mine.set(tag)
                await both_set.wait()  # the other child has set its value too
                seen.append((tag, mine.get(), Loop.index.get(), Sequence.current_seq.get().name,
                             id(asyncio.current_task())))
            run.__qualname__ = tag
            return run
        def create_sequence():
            body = Parallel.create(step("x"), step("y"), name="branches")
            return Loop.create(body, condition=lambda: Loop.index.get() < 2, name="loop")
    """))
    assert await run_to_end(engine) == "finished"
    seen = engine.find("x").fn.__globals__["seen"]
    assert sorted(entry[:4] for entry in seen) == [
        ("x", "x", 0, "branches"), ("x", "x", 1, "branches"), ("y", "y", 0, "branches"), ("y", "y", 1, "branches"),
    ]
    assert len({entry[4] for entry in seen[:2]}) == 2  # the two children of one iteration: two tasks


async def test_skip_and_pause_flags_hold_for_each_child(engine, tmp_path):
    engine.load(write_script(tmp_path, HEADER, """
        ran = []
        async def a(): ran.append("a")
        async def b(): ran.append("b")
        async def c(): ran.append("c")
        def create_sequence(): return Parallel.create(a, b, c, name="par")
    """))
    engine.set_flag("b", "skip", True)
    engine.set_flag("c", "pause", True)
    engine.run()
    assert await engine.wait(5) == "paused"
    ran = engine.find("a").fn.__globals__["ran"]
    assert ran == ["a"]
    shown = states(engine)
    assert (shown["a"], shown["b"], shown["c"]) == ("FINISHED", "FINISHED|SKIP|RT.SKIP", "PAUSED|RT.PAUSE")
    engine.resume(engine.find("c").sn)
    assert await engine.wait(5) == "finished"
    assert ran == ["a", "c"] and states(engine)["par"] == "FINISHED"


async def test_an_error_reports_its_traceback_and_cancels_the_siblings(engine, tmp_path):
    path = write_script(tmp_path, HEADER, """
        cleaned = []
        started = asyncio.Event()
        async def waits():
            started.set()
            try:
                await asyncio.sleep(60)
            except asyncio.CancelledError:
                cleaned.append(asyncio.current_task() is not None)
                raise
        async def quick(): pass
        async def broken():
            await started.wait()
            {}["missing"]
        def create_sequence(): return Parallel.create(waits, quick, broken, name="par")
    """)
    engine.load(path)
    assert await run_to_end(engine) == "error"
    error = engine.recorder.of("error")[0]
    assert error["name"] == "broken" and error["exception"] == "KeyError: 'missing'"
    assert error["file"] == path and error["line"] == Path(path).read_text().splitlines().index('    {}["missing"]') + 1
    assert 'in broken\n    {}["missing"]' in error["traceback"]
    assert engine.find("waits").fn.__globals__["cleaned"] == [True]
    shown = states(engine)
    assert (shown["waits"], shown["quick"], shown["broken"]) == ("CANCELLED", "FINISHED", "FINISHED|ERROR")
    assert shown["par"] == "CANCELLED|ERROR"


async def test_abort_runs_every_childs_clean_up_and_continue_runs_them_again(engine, tmp_path):
    engine.load(write_script(tmp_path, HEADER, """
        events = []
        def waiter(tag):
            async def run():
                log.info("waiting " + tag)
                try:
                    async with asyncio.timeout(60):
                        await asyncio.sleep(60)
                except asyncio.CancelledError:
                    events.append("cleaned " + tag)
                    raise
            run.__qualname__ = tag
            return run
        def create_sequence(): return Parallel.create(waiter("x"), waiter("y"), name="par")
    """))
    events = engine.find("x").fn.__globals__["events"]
    for start in (engine.run, engine.cont):  # continue runs again what did not finish
        engine.recorder.records.clear()
        start()
        for tag in "xy":
            await engine.recorder.until(lambda r, tag=tag: r.get("message") == "waiting " + tag)
        engine.abort()
        assert await engine.wait(5) == "aborted"
        assert (states(engine)["x"], states(engine)["y"], states(engine)["par"]) == ("CANCELLED",) * 3
    assert sorted(events) == ["cleaned x", "cleaned x", "cleaned y", "cleaned y"]
