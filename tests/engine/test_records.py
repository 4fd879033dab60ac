"""Every record the engine publishes is a valid protocol event body (the seam with the kernel)."""
import pathlib

import pytest
from hypothesis import given, strategies as st

import protocol
from seq.lib.nodes import Action, Sequence
from seqkernel.engine import Engine
from seqkernel.records import TypedRecord, state_record, task_record
from seqkernel.states import RTFLAG, State

SAMPLES = pathlib.Path(__file__).resolve().parents[2] / "samples"


async def test_all_published_records_are_valid_events():
    records = []
    async with Engine.open(publish=records.append) as engine:
        engine.load("seq.samples.test_err")
        engine.load("seq.samples.dialog")
        engine.load_ob(str(SAMPLES / "obex.json"))
        engine.set_flag("Tpl.a", "pause")
        engine.run()
        assert await engine.wait(60) == "paused"
        engine.cont()
        assert await engine.wait(60) == "error"
        engine.cont()
        assert await engine.wait(60) == "paused"  # the dialog
        engine.answer_dialog(engine.find("some_dialog").sn, True)
        assert await engine.wait(60) == "finished"
        engine.reset()
        engine.clear()
    kinds = {record["kind"] for record in records}
    assert kinds == {"state", "tree", "run", "log", "error", "dialog"}
    for record in records:
        protocol.Event(**record)  # raises ProtocolError on any field the protocol does not define


async def _step():
    pass


@given(name=st.text(), node_id=st.none() | st.text(min_size=1), state=st.sampled_from(State),
       flags=st.sampled_from([RTFLAG.NONE, RTFLAG.PAUSE, RTFLAG.SKIP, RTFLAG.PAUSE | RTFLAG.SKIP]))
def test_the_records_the_kernel_publishes_unchecked_are_valid_events(name, node_id, state, flags):
    node = Action(_step, name=name, id=node_id)
    node.state, node.flags = state, flags
    for record in (state_record(node), task_record("Starting Task: ", node)):
        assert isinstance(record, TypedRecord)
        assert protocol.encode_event(record, check=False) == protocol.encode_event(record)  # which checks it


@pytest.mark.parametrize("field", ["name", "id"])
def test_a_node_name_or_id_that_is_not_a_string_is_refused_when_the_node_is_made(field):
    with pytest.raises(TypeError, match=f"a node's {field} must be a string, not int 5"):
        Sequence.create(_step, **{field: 5})
