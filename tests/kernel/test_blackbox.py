"""The kernel's black box, written from the engine's records and read back as its parent reads it."""
from seq.lib.nodes import Sequence
from seqkernel.blackbox import SLOTS, BlackBox
from seqkernel.engine import Engine
from seqkernel.records import StepStateRecord, state_record
from seqkernel.states import State


async def _step():
    pass


def test_only_steps_are_named_as_running_not_the_containers_they_run_in():
    top = Sequence.create(_step, name="top")
    [step] = top.children
    box = BlackBox.private()
    for node in (top, step):
        node.state = State.RUNNING
        box.observe(state_record(node))
    assert box.read().running == ((step.sn, step.name),)
    step.state = State.FINISHED
    box.observe(state_record(step))
    assert box.read().running == () and not isinstance(state_record(top), StepStateRecord)


def test_steps_beyond_the_named_slots_are_counted_and_released():
    top = Sequence.create(*[_step] * (SLOTS + 3))
    box = BlackBox.private()
    for step in top.children:
        step.state = State.RUNNING
        box.observe(state_record(step))
    reading = box.read()
    assert len(reading.running) == SLOTS and reading.unnamed == 3
    for step in top.children:
        step.state = State.FINISHED
        box.observe(state_record(step))
    assert box.read().running == () and box.read().unnamed == 0


async def test_a_run_paused_between_steps_is_still_a_run_going_on():
    box = BlackBox.private()
    async with Engine.open(publish=box.observe) as engine:
        engine.load("seq.samples.a")
        engine.set_flag("b", "pause")
        engine.run()
        assert await engine.wait(60) == "paused"
        reading = box.read()
        assert reading.in_run and reading.running == ()
        engine.cont()
        assert await engine.wait(60) == "finished"
    assert not box.read().in_run
