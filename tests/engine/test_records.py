"""Every record the engine publishes is a valid protocol event body (the seam with the kernel)."""
import pathlib

import protocol
from seqkernel.engine import Engine

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
