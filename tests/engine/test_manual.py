"""Each listing of the manual (samples/) producing its documented behaviour."""
import json
import pathlib
import random

import pytest


from .helpers import nodes, states

SAMPLES = pathlib.Path(__file__).resolve().parents[2] / "samples"


def test_the_manual_import_paths_give_one_module():
    import samples.a
    import seq.samples.a
    from seq.samples import a

    assert samples.a is seq.samples.a is a
    assert a.__name__ == "seq.samples.a"  # so its loggers are named as in the manual


async def test_a_sample_imported_as_samples_x_loads_afresh_under_its_manual_name(engine):
    import samples.result
    import seq.samples.result

    seq.samples.result.create_sequence = None  # what a reload that runs the file again puts back
    engine.load("seq.samples.result")
    assert samples.result is seq.samples.result
    assert callable(seq.samples.result.create_sequence)
    assert engine.modules() == ["seq.samples.result"]


async def test_tutorial_a_nodes_run_skip_pause_resume_flip(engine):
    """The walk-through of manual 7.1 with seq.samples.a."""
    engine.load("seq.samples.a")
    assert nodes(engine) == "\n".join([
        "A-- (5) begin NOT_STARTED",
        "A-- (8) end NOT_STARTED",
        "S+- (2) Example A NOT_STARTED",
        "  A-- (6) begin NOT_STARTED",
        "  A-- (3) a NOT_STARTED",
        "  A-- (4) b NOT_STARTED",
        "  A-- (7) end NOT_STARTED",
    ])
    engine.run()
    assert await engine.wait(5) == "finished"
    assert engine.recorder.messages("seq.user") == [
        "Starting Task: a", "Ax", "End Task: a", "Starting Task: b", "Bx", "End Task: b",
    ]
    assert engine.find(3).result == "A" and engine.find(4).result == "B"
    assert set(states(engine).values()) == {"FINISHED"}

    engine.set_flag(3, "skip", True)
    engine.recorder.records.clear()
    engine.run()
    assert await engine.wait(5) == "finished"
    assert "Ax" not in engine.recorder.messages()
    assert "  A-- (3) a FINISHED|SKIP|RT.SKIP" in nodes(engine).splitlines()

    engine.set_flag(4, "pause", True)
    assert "  A-- (4) b FINISHED|RT.PAUSE" in nodes(engine).splitlines()
    engine.run()
    assert await engine.wait(5) == "paused"
    assert "  A-- (4) b PAUSED|RT.PAUSE" in nodes(engine).splitlines()
    engine.resume(4)
    assert await engine.wait(5) == "finished"
    assert "  A-- (4) b FINISHED|RT.PAUSE" in nodes(engine).splitlines()

    engine.set_flag(3, "skip")  # flip
    engine.set_flag(4, "pause")
    assert "RT." not in nodes(engine)


async def test_parallel_b_runs_a_thread_and_a_coroutine(engine):
    random.seed(2)  # no random sleeps: the first two randrange(5) give 0 and 0
    engine.load("seq.samples.b")
    assert [n["type"] for n in engine.snapshot()["scripts"]] == ["P"]
    engine.run()
    assert await engine.wait(10) == "finished"
    assert sorted(m for m in engine.recorder.messages("seq.samples.b")) == ["... done A", "... done B"]


async def test_loop1_repeats_while_index_below_three(engine):
    engine.load("seq.samples.loop1")
    engine.run()
    assert await engine.wait(60) == "finished"
    messages = engine.recorder.messages("seq.samples.loop1")
    assert [m for m in messages if m.startswith("Loop index")] == [f"Loop index: {i}" for i in range(4)]
    assert [m for m in messages if "done A" in m] == [f".. done A: {i}" for i in range(3)]
    assert [m for m in messages if "done B" in m] == [f" .. done B: {i}" for i in range(3)]


async def test_embedding_runs_a_and_b_as_parts_of_a_new_script(engine):
    random.seed(2)
    engine.load("seq.samples.embed")
    (script,) = engine.snapshot()["scripts"]
    assert script["type"] == "P"
    names = [child["name"] for child in script["children"]]
    assert names == ["begin", "A", "B", "Tpl.one", "end"]
    engine.run()
    assert await engine.wait(10) == "finished"
    assert engine.find("Tpl.one").result == 0


async def test_template_parameters_fall_back_to_seq_params(engine):
    engine.load("seq.samples.tpa")
    engine.run()
    assert await engine.wait(60) == "finished"
    assert "xSUM 11 + 22 = 33" in engine.recorder.messages("seq.samples.tpa")


async def test_sample_ob_two_instances_of_one_template(engine):
    ob = engine.load_ob(str(SAMPLES / "obex.json"))
    assert ob.name == "My humble II OB(A)"
    assert [t.name for t in ob.templates] == ["Template", "Template"]
    assert [n["type"] for n in engine.snapshot()["scripts"]] == ["O"]
    assert engine.obs()[0]["templates"] == ["seq.samples.tpa", "seq.samples.tpa"]
    assert [(v["template"], v["name"], v["type"], v["value"]) for v in engine.variables()] == [
        (0, "par_b", "integer", 0), (0, "par_c", "number", 77), (1, "par_b", "integer", 0), (1, "par_c", "number", 10),
    ]
    with pytest.raises(ValueError, match="not an integer"):
        engine.set_variable(0, 1, "par_b", "five")
    assert engine.variables()[2]["value"] == 0
    engine.set_variable(0, 1, "par_b", "5")
    engine.run()
    assert await engine.wait(60) == "finished"
    sums = [m for m in engine.recorder.messages("seq.samples.tpa") if m.startswith("xSUM")]
    assert sums == ["xSUM 0 + 77 = 77", "xSUM 5 + 10 = 15"]


async def test_error_example_then_retry_and_continue(engine):
    engine.load("seq.samples.test_err")
    engine.run()
    assert await engine.wait(5) == "error"
    lines = nodes(engine).splitlines()
    assert lines[1].endswith("end CANCELLED")
    assert [line.split(") ")[1] for line in lines[2:]] == [
        "Sequence CANCELLED|ERROR",
        "begin FINISHED",
        "Tpl.a FINISHED",
        "Tpl.b FINISHED|ERROR",
        "Tpl.c CANCELLED",
        "end CANCELLED",
    ]
    error = engine.last_error
    assert error["exception"] == "ZeroDivisionError: division by zero"
    assert error["file"] == str(SAMPLES / "test_err.py")
    assert "x = 1 / 0" in error["traceback"] and error["line"] == 24
    assert engine.find("Tpl.b").id == "b"

    engine.retry()  # still divides by zero
    assert await engine.wait(5) == "error"
    assert len(engine.recorder.of("error")) == 2
    engine.cont()
    assert await engine.wait(5) == "finished"
    assert states(engine)["Tpl.b"] == "FINISHED|ERROR"
    assert states(engine)["Tpl.c"] == "FINISHED"


async def test_dialog_performs_the_extra_step_when_answered(engine, capsys):
    engine.load("seq.samples.dialog")
    dialog = engine.find("some_dialog")
    engine.run()
    assert await engine.wait(60) == "paused"  # waiting for the operator
    (request,) = engine.recorder.of("dialog")
    assert request["action"] == "request" and request["sn"] == dialog.sn
    assert request["condition_label"] == "test_condition" and request["step_label"] == "perform extra step"
    assert request["description"] == "my first dialog"
    engine.answer_dialog(dialog.sn, True)
    assert engine.status == "running"
    assert await engine.wait(60) == "finished"
    assert engine.recorder.of("dialog")[-1]["answer"] == "perform"
    assert "What an extra step!" in capsys.readouterr().out
    assert engine.recorder.messages("seq.samples.dialog") == ["a", "b"]


async def test_dialog_stop_stops_the_sequence_and_abort_works_while_waiting(engine):
    engine.load("seq.samples.dialog")
    dialog = engine.find("some_dialog")
    engine.run()
    assert await engine.wait(60) == "paused"
    engine.answer_dialog(dialog.sn, False)
    assert await engine.wait(60) == "aborted"
    assert states(engine)["b"] == "CANCELLED"
    engine.cont()  # asks again
    assert await engine.wait(60) == "paused"
    engine.abort()
    assert await engine.wait(60) == "aborted"
    assert states(engine)["some_dialog"] == "CANCELLED"


async def test_subprocess_example(engine):
    engine.load("seq.samples.subproc")
    engine.run()
    assert await engine.wait(10) == "finished"
    assert engine.find("proc_b").result == 0


async def test_partial_keeps_names_and_binds_arguments(engine):
    engine.load("seq.samples.partial_example")
    engine.run()
    assert await engine.wait(5) == "finished"
    assert engine.find("add").result == 3
    assert engine.find("add").description == "Adds two numbers"
    assert engine.find("f").result == 7


async def test_runtime_flags_set_by_the_script(engine):
    engine.load("seq.samples.rtflags")
    engine.run()
    assert await engine.wait(5) == "paused"
    assert nodes(engine).splitlines()[4] == "  A-- (2) a PAUSED|RT.PAUSE"
    engine.cont()
    assert await engine.wait(5) == "finished"
    assert [line.split(") ")[1] for line in nodes(engine).splitlines()[4:8]] == [
        "a FINISHED|RT.PAUSE", "b FINISHED|SKIP|RT.SKIP", "a FINISHED|SKIP|RT.SKIP", "f FINISHED",
    ]


async def test_result_handling_and_finding_nodes(engine):
    engine.load("seq.samples.result")
    engine.run()
    assert await engine.wait(10) == "finished"
    (script,) = [node for node in engine.root.children]
    assert script.result == 0
    assert engine.find("do_a").result == 42 and engine.find("do_b").result == 43


async def test_result_listing_in_process():
    """Listing 10, run as the manual shows it: ``await sc.start()``."""
    from seq.lib.nodes import Parallel, Sequence
    from seq.lib.ob import OB
    from seq.samples import node_context as a

    async def mystep():
        s = Sequence.current_seq.get()
        s.result = 0

    tpa = OB.create_sequence(a)
    sc = Parallel.create(tpa, mystep)
    await sc.start()
    assert sc.result == 0


async def test_node_context_listing_in_process():
    """Listing 12, run as the manual shows it."""
    from seq.lib.nodes import ActionInThread, Sequence
    from seq.samples.node_context import do_a, do_b

    tpl = Sequence.create(do_a, ActionInThread(do_b))
    await tpl.start()
    assert tpl.context["do_a"] == 1
    assert tpl.context["do_b"] == 1


async def test_node_context_through_the_engine(engine):
    script = engine.load("seq.samples.node_context")
    engine.run()
    assert await engine.wait(5) == "finished"
    assert script.context == {"do_a": 1, "do_b": 1}


def test_sample_ob_is_the_manuals_listing():
    data = json.loads((SAMPLES / "obex.json").read_text())
    assert [t["templateName"] for t in data["templates"]] == ["seq.samples.tpa"] * 2


async def test_constructor_conventions(engine):
    engine.load("seq.samples.ctor_function")
    engine.load("seq.samples.ctor_class")
    assert [[c["name"] for c in s["children"]] for s in engine.snapshot()["scripts"]] == [
        ["begin", "my_method", "my_end_step", "end"],
        ["begin", "Tpl.my_end_step", "end"],
    ]
    engine.run()
    assert await engine.wait(5) == "finished"
    assert "My INFO msg" in engine.recorder.messages("seq.user")
