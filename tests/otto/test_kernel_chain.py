"""An OB fetched from tino, loaded into a real kernel process and run: tino hears
Initiated, Started and Executed; an OB the kernel refuses stays in its file."""
import json
import os
import re

import pytest

from otto_fixtures import request, run_tino, sample_ob
from seqkernel.link import KernelLink
from seqclient.config import OttoConfig
from seqshell.otto import OttoError, OttoSession

TEMPLATE = '''
import logging
from seq.lib.nodes import Sequence, get_param

async def expose():
    """Logs the exposure time it was given"""
    logging.getLogger("seq.user").info("exposing %s s", get_param("par_c"))

def create_sequence(*args, **kw):
    return Sequence.create(expose, name="expose", **kw)
'''


@pytest.fixture
def night(tmp_path):
    """A folder holding one FORS2 OB whose template is a module of its own, and
    the environment in which a kernel can import it."""
    modules, obs = tmp_path / "modules", tmp_path / "obs"
    modules.mkdir()
    obs.mkdir()
    (modules / "otto_night_tpl.py").write_text(TEMPLATE)
    ob = sample_ob(42, "FORS2", "Night OB", parameters=[("par_b", "integer", 1), ("par_c", "number", 30.5)])
    ob["templates"][0]["templateName"] = "otto_night_tpl"
    (obs / "night.json").write_text(json.dumps(ob))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(modules), os.environ["PYTHONPATH"]])}
    return obs, env


async def forward_events(kernel, reporter, logs):
    async for message in kernel.messages:
        if message.type == "event":
            reporter.handle(message.to_dict())
            if message.kind == "log":
                logs.append(message.message)


async def test_fetch_run_and_ob_events(night, tmp_path, nursery):
    obs, env = night
    async with run_tino(obs, "--instrument", "FORS2") as tino, KernelLink.spawn(env=env) as kernel:
        session = OttoSession(OttoConfig(url=tino.url, insid="FORS2"), tmp_path / "fetched")
        logs = []
        nursery.start_soon(session.reporter.run)
        nursery.start_soon(forward_events, kernel, session.reporter, logs)

        path, said = await session.fetch(kernel.command)
        kept = tmp_path / "fetched" / "ob_42.json"
        assert path == kept
        fetched, loaded = said.splitlines()
        assert fetched == f"fetched OB 42 'Night OB' from OTTO (0 left in the queue), kept as {kept}"
        assert re.fullmatch(rf"loaded OB {re.escape(str(kept))}: \(\d+\) Night OB", loaded)
        await tino.expect("OB 42 'Night OB' Initiated")
        assert (await kernel.command("run")).ok
        assert (await kernel.command("wait 10")).output == "finished"
        await tino.expect("OB 42 'Night OB' Executed")
        status, answer = await request("GET", tino.url + "events?obId=42")
        assert [e["event"] for e in answer["events"]] == ["Initiated", "Started", "Executed"]
        assert "exposing 30.5 s" in logs
        nursery.cancel_scope.cancel()


async def test_an_ob_the_kernel_refuses_stays_in_its_file(night, tmp_path):
    obs, env = night
    env["PYTHONPATH"] = os.environ["PYTHONPATH"]  # the template's module is nowhere to be found
    async with run_tino(obs) as tino, KernelLink.spawn(env=env) as kernel:
        session = OttoSession(OttoConfig(url=tino.url), tmp_path / "fetched")
        with pytest.raises(OttoError) as refused:
            await session.fetch(kernel.command)
        kept = tmp_path / "fetched" / "ob_42.json"
        assert str(refused.value).splitlines() == [
            f"fetched OB 42 'Night OB' from OTTO (0 left in the queue), kept as {kept}",
            "loading it failed: no module named 'otto_night_tpl'",
            f"once fixed, load it with: ob {kept}",
        ]
        assert json.loads(kept.read_text()) == json.loads((obs / "night.json").read_text())
        assert (await kernel.command("lsob")).data == [], "nothing half-loaded"
        status, answer = await request("GET", tino.url + "events")
        assert answer["events"] == [], "an OB that was not loaded is not Initiated"
