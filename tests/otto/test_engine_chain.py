"""An OB fetched from tino, loaded into the real engine and run: tino hears
Initiated, Started and Executed. (Through the kernel and shell processes once
the shell's ``fetch`` uses OttoSession.)"""
import json
import types

import pytest

from otto_fixtures import request, run_tino, sample_ob
from seqkernel.engine import Engine, EngineError
from seqshell.config import OttoConfig
from seqshell.otto import OttoError, OttoSession

TEMPLATE = '''
from seq.lib.nodes import Sequence, get_param

RAN = []

async def expose():
    """Records the exposure time it was given"""
    RAN.append(get_param("par_c"))

def create_sequence(*args, **kw):
    return Sequence.create(expose, name="expose", **kw)
'''


def kernel_commands(engine):
    """The two kernel commands OttoSession.fetch sends, answered by the engine in process."""

    async def command(line):
        verb, _, argument = line.partition(" ")
        try:
            if verb == "ob":
                node = engine.load_ob(argument)
                return types.SimpleNamespace(ok=True, output=f"loaded OB {node.name}", error="", data=None)
            assert verb == "snapshot", line
            return types.SimpleNamespace(ok=True, output="", error="", data=engine.snapshot())
        except EngineError as exc:
            return types.SimpleNamespace(ok=False, output="", error=str(exc), data=None)

    return command


async def test_fetch_run_and_ob_events(tmp_path, monkeypatch, nursery):
    modules = tmp_path / "modules"
    modules.mkdir()
    (modules / "otto_night_tpl.py").write_text(TEMPLATE)
    monkeypatch.syspath_prepend(str(modules))
    obs = tmp_path / "obs"
    obs.mkdir()
    ob = sample_ob(42, "FORS2", "Night OB", parameters=[("par_b", "integer", 1), ("par_c", "number", 30.5)])
    ob["templates"][0]["templateName"] = "otto_night_tpl"
    (obs / "night.json").write_text(json.dumps(ob))

    async with run_tino(obs, "--instrument", "FORS2") as tino:
        session = OttoSession(OttoConfig(url=tino.url, insid="FORS2"), tmp_path / "fetched")
        await nursery.start(session.reporter.run)
        async with Engine.open(publish=session.reporter.handle) as engine:
            said = await session.fetch(kernel_commands(engine))
            assert said.splitlines()[0] == (
                f"fetched OB 42 'Night OB' from OTTO (0 left in the queue),"
                f" kept as {tmp_path / 'fetched' / 'ob_42.json'}"
            )
            await tino.expect("OB 42 'Night OB' Initiated")
            engine.run()
            assert await engine.wait(10) == "finished"
        await tino.expect("OB 42 'Night OB' Executed")
        status, answer = await request("GET", tino.url + "events?obId=42")
        assert [e["event"] for e in answer["events"]] == ["Initiated", "Started", "Executed"]
        import otto_night_tpl

        assert otto_night_tpl.RAN == [30.5]
        nursery.cancel_scope.cancel()


async def test_an_ob_the_kernel_refuses_stays_in_its_file(tmp_path, nursery):
    obs = tmp_path / "obs"
    obs.mkdir()
    ob = sample_ob(7, "FORS2", "Broken")
    ob["templates"][0]["templateName"] = "no_such_template_module"
    (obs / "broken.json").write_text(json.dumps(ob))
    async with run_tino(obs) as tino:
        session = OttoSession(OttoConfig(url=tino.url), tmp_path / "fetched")
        async with Engine.open() as engine:
            with pytest.raises(OttoError) as refused:
                await session.fetch(kernel_commands(engine))
        message = str(refused.value)
        kept = tmp_path / "fetched" / "ob_7.json"
        assert message.splitlines() == [
            f"fetched OB 7 'Broken' from OTTO (0 left in the queue), kept as {kept}",
            "loading it failed: no module named 'no_such_template_module'",
            f"once fixed, load it with: ob {kept}",
        ]
        assert json.loads(kept.read_text()) == ob
        status, answer = await request("GET", tino.url + "events")
        assert answer["events"] == [], "an OB that was not loaded is not Initiated"
