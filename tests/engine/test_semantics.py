"""Execution rules (DESIGN section 3) in Sequence, Parallel and Loop, driven through the engine."""
import trio

from .helpers import nodes, run_to_end, states, write_script

HEADER = """
import asyncio, threading, trio, logging
from seq.lib.nodes import Sequence, Parallel, Loop, Action, ActionInThread
log = logging.getLogger("script")
"""


async def test_sequence_runs_children_in_order(engine, tmp_path):
    engine.load(write_script(tmp_path, HEADER, """
        order = []
        async def a(): order.append("a"); await asyncio.sleep(0.01)
        def b(): order.append("b")
        async def c(): order.append("c")
        def create_sequence(): return Sequence.create(a, b, c)
    """))
    assert await run_to_end(engine) == "finished"
    running = [r["name"] for r in engine.recorder.of("state") if r["state"] == "RUNNING" and r["name"] in "abc"]
    assert running == ["a", "b", "c"]
    assert all(state == "FINISHED" for state in states(engine).values())


async def test_parallel_runs_children_together(engine, tmp_path):
    # each branch waits for the other one to have started: only possible when they run together
    engine.load(write_script(tmp_path, HEADER, """
        started = {"a": asyncio.Event(), "b": asyncio.Event()}
        async def a(): started["a"].set(); await started["b"].wait(); return "A"
        async def b(): started["b"].set(); await started["a"].wait(); return "B"
        def create_sequence(): return Parallel.create(a, b)
    """))
    assert await run_to_end(engine) == "finished"
    assert engine.find("a").result == "A" and engine.find("b").result == "B"


async def test_loop_runs_init_once_and_body_while_condition_holds(engine, tmp_path):
    engine.load(write_script(tmp_path, HEADER, """
        seen = []
        def init(): seen.append("init")
        async def body(): seen.append(Loop.index.get())
        def condition(): return Loop.index.get() < 3
        def create_sequence(): return Loop.create(body, init=init, condition=condition)
    """))
    assert await run_to_end(engine) == "finished"
    module = engine.find("body").fn.__globals__
    assert module["seen"] == ["init", 0, 1, 2]
    assert engine.find("body").state.value == "FINISHED"


async def test_nested_loops_and_parallel_branches_keep_their_own_index(engine, tmp_path):
    engine.load(write_script(tmp_path, HEADER, """
        seen = []
        def outer_index(): return Loop.index.get()
        async def record(tag):
            await asyncio.sleep(0.001)
            seen.append((tag, Sequence.current_seq.get().name, Loop.index.get()))
        def inner(tag):
            async def step(): await record(tag)
            step.__qualname__ = "step_" + tag
            return Loop.create(step, condition=lambda: Loop.index.get() < 2, name="inner_" + tag)
        async def after_inner(): seen.append(("after", Loop.index.get()))
        def create_sequence():
            body = Parallel.create(inner("x"), inner("y"), name="branches")
            return Loop.create(body, after_inner, condition=lambda: Loop.index.get() < 2, name="outer")
    """))
    assert await run_to_end(engine) == "finished"
    seen = engine.find("after_inner").fn.__globals__["seen"]
    for tag in "xy":
        assert [s[1:] for s in seen if s[0] == tag] == [("inner_" + tag, i) for i in (0, 1, 0, 1)]
    assert [s for s in seen if s[0] == "after"] == [("after", 0), ("after", 1)]


async def test_skip_flag_in_sequence_parallel_and_loop(engine, tmp_path):
    engine.load(write_script(tmp_path, HEADER, """
        ran = []
        async def s1(): ran.append("s1")
        async def s2(): ran.append("s2")
        async def p1(): ran.append("p1")
        async def p2(): ran.append("p2")
        async def l1(): ran.append("l1")
        async def l2(): ran.append("l2")
        def create_sequence():
            return Sequence.create(
                Sequence.create(s1, s2, name="seq"),
                Parallel.create(p1, p2, name="par"),
                Loop.create(l1, l2, condition=lambda: Loop.index.get() < 2, name="loop"),
            )
    """))
    for name in ("s1", "p2", "l1"):
        engine.set_flag(name, "skip", True)
    assert await run_to_end(engine) == "finished"
    ran = engine.find("s2").fn.__globals__["ran"]
    assert sorted(ran) == ["l2", "l2", "p1", "s2"]
    shown = states(engine)
    assert shown["s1"] == shown["p2"] == shown["l1"] == "FINISHED|SKIP|RT.SKIP"
    assert shown["seq"] == shown["par"] == shown["loop"] == "FINISHED"


async def test_skipping_a_container_skips_its_children(engine, tmp_path):
    engine.load(write_script(tmp_path, HEADER, """
        ran = []
        async def inside(): ran.append("inside")
        async def after(): ran.append("after")
        def create_sequence(): return Sequence.create(Parallel.create(inside, name="par"), after)
    """))
    engine.set_flag("par", "skip")
    assert await run_to_end(engine) == "finished"
    assert engine.find("after").fn.__globals__["ran"] == ["after"]
    assert states(engine)["par"] == "FINISHED|SKIP|RT.SKIP"


async def test_pause_in_parallel_lets_the_other_branch_finish(engine, tmp_path):
    engine.load(write_script(tmp_path, HEADER, """
        async def held(): return "held"
        async def free(): await asyncio.sleep(0.01); return "free"
        def create_sequence(): return Parallel.create(held, free, name="par")
    """))
    engine.set_flag("held", "pause")
    engine.run()
    assert await engine.wait(5) == "paused"
    assert states(engine)["held"] == "PAUSED|RT.PAUSE"
    assert states(engine)["free"] == "FINISHED"
    engine.resume(engine.find("held").sn)
    assert await engine.wait(5) == "finished"
    assert states(engine)["held"] == "FINISHED|RT.PAUSE"
    # the flag stays: the next run pauses there again
    engine.run()
    assert await engine.wait(5) == "paused"
    engine.set_flag("held", "pause", False)  # clearing the flag of a paused node resumes it
    assert await engine.wait(5) == "finished"


async def test_abort_while_a_node_waits_paused_leaves_it_cancelled_with_its_flag(engine, tmp_path):
    engine.load(write_script(tmp_path, HEADER, """
        async def held(): return "held"
        async def busy(): await asyncio.sleep(60)
        def create_sequence(): return Parallel.create(held, busy, name="par")
    """))
    engine.set_flag("held", "pause")
    engine.run()
    await engine.recorder.until_state(engine.find("held"), "PAUSED")
    engine.abort()
    assert await engine.wait(5) == "aborted"
    assert states(engine)["held"] == "CANCELLED|RT.PAUSE"
    assert states(engine)["par"] == "CANCELLED"
    engine.set_flag("held", "pause", False)
    engine.cont()  # the flag was kept, and cleared here: continue runs it
    await engine.recorder.until_state(engine.find("held"), "FINISHED")


async def test_pause_in_loop_pauses_every_iteration(engine, tmp_path):
    engine.load(write_script(tmp_path, HEADER, """
        async def body(): return Loop.index.get()
        def create_sequence(): return Loop.create(body, condition=lambda: Loop.index.get() < 2, name="loop")
    """))
    engine.set_flag("body", "pause")
    engine.run()
    for index in range(2):
        assert await engine.wait(5) == "paused"
        assert engine.find("loop").iteration == index
        engine.cont()
    assert await engine.wait(5) == "finished"
    assert engine.find("body").result == 1


async def test_error_in_parallel_cancels_the_running_sibling(engine, tmp_path):
    engine.load(write_script(tmp_path, HEADER, """
        cleaned = []
        async def slow():
            try:
                await asyncio.sleep(30)
            except asyncio.CancelledError:
                cleaned.append("slow")
                raise
        async def broken():
            await asyncio.sleep(0.01)
            raise RuntimeError("broken step")
        async def later(): pass
        def create_sequence(): return Sequence.create(Parallel.create(slow, broken, name="par"), later, name="top")
    """))
    assert await run_to_end(engine) == "error"
    shown = states(engine)
    assert shown["broken"] == "FINISHED|ERROR"
    assert shown["slow"] == "CANCELLED"
    assert shown["par"] == shown["top"] == "CANCELLED|ERROR"
    assert shown["later"] == "CANCELLED"
    assert engine.find("slow").fn.__globals__["cleaned"] == ["slow"]
    (error,) = engine.recorder.of("error")
    assert error["exception"] == "RuntimeError: broken step"
    assert error["name"] == "broken" and error["file"].endswith(".py") and "raise RuntimeError" in error["traceback"]


async def test_error_then_retry_runs_the_failed_node_and_the_rest(engine, tmp_path):
    engine.load(write_script(tmp_path, HEADER, """
        calls = {"first": 0, "flaky": 0, "last": 0}
        async def first(): calls["first"] += 1
        async def flaky():
            calls["flaky"] += 1
            if calls["flaky"] == 1:
                raise ValueError("not yet")
        async def last(): calls["last"] += 1
        def create_sequence(): return Sequence.create(first, flaky, last, name="top")
    """))
    assert await run_to_end(engine) == "error"
    engine.retry()
    assert await engine.wait(5) == "finished"
    assert engine.find("first").fn.__globals__["calls"] == {"first": 1, "flaky": 2, "last": 1}
    assert states(engine)["flaky"] == "FINISHED"
    assert states(engine)["top"] == "FINISHED"


async def test_error_then_continue_leaves_the_failed_node_and_runs_the_rest(engine, tmp_path):
    engine.load(write_script(tmp_path, HEADER, """
        calls = []
        async def bad(): calls.append("bad"); raise KeyError("x")
        async def good(): calls.append("good")
        def create_sequence():
            return Loop.create(Parallel.create(bad, good, name="par"), condition=lambda: Loop.index.get() < 1)
    """))
    assert await run_to_end(engine) == "error"
    engine.cont()
    assert await engine.wait(5) == "finished"
    assert states(engine)["bad"] == "FINISHED|ERROR"
    assert engine.find("good").state.value == "FINISHED"
    assert engine.find("bad").fn.__globals__["calls"].count("bad") == 1


async def test_abort_of_an_asyncio_step_runs_its_clean_up(engine, tmp_path):
    engine.load(write_script(tmp_path, HEADER, """
        events = []
        started = asyncio.Event()
        async def waits():
            events.append(asyncio.current_task() is not None)
            log.info("waiting")
            try:
                async with asyncio.timeout(60):
                    await asyncio.sleep(60)
            except asyncio.CancelledError:
                events.append("cleaned")
                raise
        async def after(): events.append("after")
        def create_sequence(): return Sequence.create(waits, after)
    """))
    waits = engine.find("waits")
    engine.run()
    await engine.recorder.until(lambda r: r.get("message") == "waiting")
    engine.abort()
    assert await engine.wait(5) == "aborted"
    assert states(engine)["waits"] == "CANCELLED"
    assert states(engine)["after"] == "CANCELLED"
    events = waits.fn.__globals__["events"]
    assert events == [True, "cleaned"]
    engine.recorder.records.clear()
    engine.cont()  # continue runs again what did not finish
    await engine.recorder.until(lambda r: r.get("message") == "waiting")
    engine.abort()
    assert await engine.wait(5) == "aborted"
    assert events == [True, "cleaned", True, "cleaned"]


async def test_abort_of_a_trio_step(engine, tmp_path):
    engine.load(write_script(tmp_path, HEADER, """
        cleaned = []
        async def waits():
            try:
                await trio.sleep_forever()
            finally:
                cleaned.append(True)
        def create_sequence(): return Sequence.create(waits)
    """))
    engine.run()
    await trio.testing.wait_all_tasks_blocked()
    engine.abort()
    assert await engine.wait(5) == "aborted"
    assert states(engine)["waits"] == "CANCELLED"
    assert engine.find("waits").fn.__globals__["cleaned"] == [True]


async def test_abort_of_a_step_blocked_in_a_thread(engine, tmp_path):
    engine.load(write_script(tmp_path, HEADER, """
        release = threading.Event()
        entered = threading.Event()
        def blocked(): entered.set(); release.wait(30); return "done"
        def create_sequence(): return Sequence.create(ActionInThread(blocked))
    """))
    module = None
    engine.run()
    node = engine.find("blocked")
    module = node.fn.__globals__
    await trio.to_thread.run_sync(module["entered"].wait, 5)
    engine.abort()
    assert await engine.wait(5) == "aborted"
    assert node.state.value == "CANCELLED"
    warnings = [r for r in engine.recorder.of("log") if r["level"] == "WARNING"]
    assert any("thread" in r["message"] and r["sn"] == node.sn for r in warnings)
    module["release"].set()


async def test_reset_and_rerun(engine, tmp_path):
    engine.load(write_script(tmp_path, HEADER, """
        runs = []
        async def step(): runs.append(1); return len(runs)
        def create_sequence(): return Sequence.create(step)
    """))
    assert await run_to_end(engine) == "finished"
    engine.reset()
    assert set(states(engine).values()) == {"NOT_STARTED"}
    assert engine.status == "idle"
    assert engine.recorder.of("tree")[-1]["action"] == "reset"
    assert await run_to_end(engine) == "finished"
    assert engine.find("step").result == 2


async def test_reset_while_running_aborts_first(engine, tmp_path):
    engine.load(write_script(tmp_path, HEADER, """
        async def forever(): await asyncio.sleep(60)
        def create_sequence(): return Sequence.create(forever)
    """))
    engine.run()
    await trio.testing.wait_all_tasks_blocked()
    engine.reset()
    assert await engine.wait(5) == "idle"
    assert set(states(engine).values()) == {"NOT_STARTED"}


async def test_steps_for_asyncio_trio_and_both(engine, tmp_path):
    engine.load(write_script(tmp_path, HEADER, """
        import sniffio
        async def pure_asyncio():
            async with asyncio.timeout(5):
                await asyncio.sleep(0.001)
            return (sniffio.current_async_library(), asyncio.current_task() is not None)
        async def pure_trio():
            await trio.sleep(0.001)
            return sniffio.current_async_library()
        async def mixed():
            await trio.sleep(0.001)
            await asyncio.sleep(0.001)
            return "both"
        def plain(): return "plain"
        def create_sequence(): return Sequence.create(pure_asyncio, pure_trio, mixed, plain)
    """))
    assert await run_to_end(engine) == "finished"
    results = {name: engine.find(name).result for name in ("pure_asyncio", "pure_trio", "mixed", "plain")}
    assert results == {"pure_asyncio": ("asyncio", True), "pure_trio": "trio", "mixed": "both", "plain": "plain"}


async def test_sys_exit_in_a_step_is_an_error_of_that_step(engine, tmp_path):
    engine.load(write_script(tmp_path, HEADER, """
        import sys
        async def in_asyncio(): sys.exit(3)
        def inline(): sys.exit("bye")
        def threaded(): sys.exit(4)
        def create_sequence():
            return Parallel.create(Sequence.create(in_asyncio), Sequence.create(inline), Sequence.create(ActionInThread(threaded)))
    """))
    for name in ("in_asyncio", "inline", "threaded"):
        for other in ("in_asyncio", "inline", "threaded"):
            engine.set_flag(other, "skip", other != name)
        assert await run_to_end(engine) == "error"
        assert states(engine)[name] == "FINISHED|ERROR"
        assert engine.last_error["exception"].startswith("SystemExit")
        assert engine.last_error["name"] == name


async def test_log_records_name_the_node_they_came_from(engine, tmp_path):
    engine.load(write_script(tmp_path, HEADER, """
        async def in_loop(): log.info("from the loop")
        def in_thread(): log.info("from a thread")
        def create_sequence(): return Sequence.create(in_loop, ActionInThread(in_thread))
    """))
    assert await run_to_end(engine) == "finished"
    by_message = {r["message"]: r for r in engine.recorder.of("log")}
    assert by_message["from the loop"]["sn"] == engine.find("in_loop").sn
    assert by_message["from a thread"]["sn"] == engine.find("in_thread").sn
    assert by_message["from a thread"]["logger"] == "script"
    sequence = [r["message"] for r in engine.recorder.of("log") if r["sn"] == engine.find("in_thread").sn]
    assert sequence == ["Starting Task: in_thread", "from a thread", "End Task: in_thread"]


async def test_a_logged_exception_carries_its_traceback(engine, tmp_path):
    engine.load(write_script(tmp_path, HEADER, """
        async def careful():
            try:
                {}["missing"]
            except KeyError:
                log.exception("lookup failed")
        def create_sequence(): return Sequence.create(careful)
    """))
    assert await run_to_end(engine) == "finished"
    [message] = [m for m in engine.recorder.messages("script")]
    assert message.startswith("lookup failed\nTraceback (most recent call last):")
    assert "KeyError: 'missing'" in message


async def test_state_records_per_node_are_in_order(engine, tmp_path):
    engine.load(write_script(tmp_path, HEADER, """
        async def a(): await asyncio.sleep(0.001)
        def create_sequence(): return Parallel.create(a, Sequence.create(a, name="inner"))
    """))
    assert await run_to_end(engine) == "finished"
    for node in engine.root.walk():
        assert engine.recorder.states_of(node.sn)[-3:] in (["SCHEDULED", "RUNNING", "FINISHED"],)
    assert [r["status"] for r in engine.recorder.of("run")] == ["running", "finished"]
    assert "FINISHED" in nodes(engine)


async def test_retry_inside_a_loop_resumes_the_same_iteration(engine, tmp_path):
    engine.load(write_script(tmp_path, HEADER, """
        seen = []
        failures = {"left": 1}
        async def before(): seen.append(("before", Loop.index.get()))
        async def flaky():
            if Loop.index.get() == 1 and failures["left"]:
                failures["left"] -= 1
                raise RuntimeError("once")
            seen.append(("flaky", Loop.index.get()))
        def create_sequence():
            return Loop.create(before, flaky, condition=lambda: Loop.index.get() < 3, name="loop")
    """))
    assert await run_to_end(engine) == "error"
    flaky = engine.find("flaky")
    engine.retry(flaky.sn)
    assert await engine.wait(5) == "finished"
    assert flaky.fn.__globals__["seen"] == [
        ("before", 0), ("flaky", 0), ("before", 1), ("flaky", 1), ("before", 2), ("flaky", 2),
    ]


async def test_declared_flavours(engine, tmp_path):
    engine.load(write_script(tmp_path, HEADER, """
        import sniffio
        from seqkernel import asyncio_step, trio_step
        import trio as renamed_trio

        @trio_step
        async def declared_trio():
            return sniffio.current_async_library()

        @asyncio_step
        async def declared_asyncio():
            return asyncio.current_task() is not None

        def create_sequence(): return Sequence.create(declared_trio, declared_asyncio)
    """))
    assert await run_to_end(engine) == "finished"
    assert engine.find("declared_trio").result == "trio"
    assert engine.find("declared_asyncio").result is True


async def test_a_clean_up_that_raises_on_abort_leaves_the_step_cancelled(engine, tmp_path):
    engine.load(write_script(tmp_path, HEADER, """
        async def messy():
            log.info("waiting")
            try:
                await asyncio.sleep(60)
            except asyncio.CancelledError:
                raise RuntimeError("clean-up failed")
        def create_sequence(): return Sequence.create(messy)
    """))
    engine.run()
    await engine.recorder.until(lambda r: r.get("message") == "waiting")
    engine.abort()
    assert await engine.wait(5) == "aborted"
    assert states(engine)["messy"] == "CANCELLED"
    assert any("clean-up failed" in m for m in engine.recorder.messages("seq.lib"))
    assert engine.recorder.of("error") == []


async def test_parallel_asyncio_steps_are_tasks_of_their_own(engine, tmp_path):
    engine.load(write_script(tmp_path, HEADER, """
        tasks = {}
        gate = asyncio.Event()
        async def first():
            tasks["first"] = asyncio.current_task()
            await gate.wait()
        async def second():
            tasks["second"] = asyncio.current_task()
            gate.set()
        slow_started = asyncio.Event()
        async def broken():
            await slow_started.wait()
            raise ValueError("after the gate")
        async def slow():
            slow_started.set()
            try:
                await asyncio.sleep(60)
            except asyncio.CancelledError:
                tasks["slow cancelled"] = True
                raise
        def create_sequence():
            return Sequence.create(Parallel.create(first, second, name="ok"), Parallel.create(broken, slow, gate.set))
    """))
    assert await run_to_end(engine) == "error"
    tasks = engine.find("first").fn.__globals__["tasks"]
    assert tasks["first"] is not tasks["second"] and tasks["slow cancelled"]
    assert states(engine)["ok"] == "FINISHED"
    assert states(engine)["broken"] == "FINISHED|ERROR" and states(engine)["slow"] == "CANCELLED"
    assert engine.last_error["exception"] == "ValueError: after the gate"


async def test_a_plain_function_runs_in_a_thread_and_blocks_no_other_branch(engine, tmp_path):
    """Manual 2.3: "the sequencer will send the normal code to a separate thread"."""
    engine.load(write_script(tmp_path, HEADER, """
        import time
        gate = threading.Event()
        def blocking():
            return gate.wait(10), threading.current_thread() is not threading.main_thread()
        async def opener():
            await asyncio.sleep(0.01)
            gate.set()
        def where():
            return Loop.index.get(), Sequence.current_seq.get().name
        def create_sequence():
            return Sequence.create(
                Parallel.create(blocking, opener),
                Loop.create(where, condition=lambda: Loop.index.get() < 2, name="loop"))
    """))
    assert await run_to_end(engine) == "finished"
    assert engine.find("blocking").result == (True, True)  # the gate opened while it waited
    assert engine.find("where").result == (1, "loop")


async def test_abort_does_not_wait_for_a_plain_function(engine, tmp_path):
    path = write_script(tmp_path, HEADER, """
        gate = threading.Event()
        def blocking():
            gate.wait(30)
        def create_sequence(): return Sequence.create(blocking)
    """)
    engine.load(path)
    engine.run()
    step = engine.find("blocking")
    await engine.recorder.until_state(step, "RUNNING")
    engine.abort()
    try:
        assert await engine.wait(5) == "aborted"
        assert step.state.value == "CANCELLED"
    finally:
        step.fn.__globals__["gate"].set()  # the thread left to finish ends now
