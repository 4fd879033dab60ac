"""Sequencers that drive sequencers, and simulation mode: real components in simulation mode on
two hosts, a driving ESW sequencer whose steps load, set and run work on IRIS and TCS through
``seq.lib.get_sequencer``, and clients watching each sequencer as an operator's GUI would.
"""
from __future__ import annotations

import contextlib
import pathlib
import subprocess
import sys
import time
from collections.abc import AsyncIterator

import pytest
import trio
import yaml

import seqclient
from seqlocation import open_directory
from observatory_harness import TIMEOUT, Observatory, running_observatory

NIGHT = pathlib.Path(__file__).resolve().parents[2] / "samples" / "night"
ENDED = ("finished", "error", "aborted")

CONFIG = """
scripts:
  ESW: {ESW_drive: ready}
  IRIS: {ESW_drive: {script: iris_real, simulation: iris_simulated}}
  TCS: {ESW_drive: ready}
  APS: {ESW_drive: ready}
obsmodes:
  ESW_drive: {resources: [IRIS, TCS], sequencers: [ESW, IRIS, TCS]}
"""

DRIVE_A_LONG_RUN = """
    import trio
    from seq.lib import Sequence, get_sequencer

    DRIVEN = get_sequencer("SEQUENCER")

    async def drive():  # a trio step (it names trio), where the others are asyncio steps
        await DRIVEN.load_ob({"templates": [{"templateName": "expose", "parameters": [
            {"name": "seconds", "type": "number", "value": 60}]}]})
        await DRIVEN.run()
        await trio.sleep(0)

    def create_sequence(*args, **kw):
        return Sequence.create(drive, **kw)
    """

SCRIPTS = {
    "ready.py": """
        from seq.lib import Sequence

        async def ready():
            pass

        def create_sequence(*args, **kw):
            return Sequence.create(ready, name="ready", **kw)
        """,
    "iris_real.py": """
        from seq.lib import Sequence

        async def move_real_hardware():
            raise RuntimeError("a real device was driven")

        def create_sequence(*args, **kw):
            return Sequence.create(move_real_hardware, name="IRIS for real", **kw)
        """,
    "iris_simulated.py": """
        from seq.lib import Sequence, getUserLogger, simulating

        async def report():
            getUserLogger().info("IRIS simulating: %s", simulating())

        def create_sequence(*args, **kw):
            return Sequence.create(report, name="IRIS simulated", **kw)
        """,
    "expose.py": """
        import asyncio
        from seq.lib import Sequence, get_param, getUserLogger

        __seq_params__ = {"seconds": 0.1, "fail": False, "label": "plain"}

        async def expose():
            getUserLogger().info("exposing %s", get_param("label"))
            await asyncio.sleep(get_param("seconds"))
            if get_param("fail"):
                raise RuntimeError("detector saturated")

        def create_sequence(*args, **kw):
            return Sequence.create(expose, **kw)
        """,
    "drive_ob.py": """
        from seq.lib import RemoteError, Sequence, get_sequencer, getUserLogger

        IRIS = get_sequencer("IRIS@ESW_drive")

        async def observe():
            await IRIS.load_ob({"templates": [{"templateName": "expose", "parameters": [
                {"name": "label", "type": "string", "value": "dither"}]}]})
            await IRIS.set_variable("label", "as ESW said")
            try:
                await IRIS.set_variable("exptime", 3)
            except RemoteError as refused:
                getUserLogger().info("refused: %s", refused)
            await IRIS.run()

        def create_sequence(*args, **kw):
            return Sequence.create(observe, **kw)
        """,
    "drive_parallel.py": """
        from seq.lib import Parallel, get_sequencer

        IRIS, TCS = get_sequencer("IRIS@ESW_drive"), get_sequencer("TCS.ESW_drive")  # TMT's dotted form too

        def work(seconds, fail=False):
            return {"templates": [{"templateName": "expose", "parameters": [
                {"name": "seconds", "type": "number", "value": seconds},
                {"name": "fail", "type": "boolean", "value": fail}]}]}

        async def on_iris():
            await IRIS.load_ob(work(0.5, fail=True))
            await IRIS.run()

        async def on_tcs():
            await TCS.load_ob(work(60))
            await TCS.run()

        def create_sequence(*args, **kw):
            return Parallel.create(on_iris, on_tcs, **kw)
        """,
    "drive_long.py": DRIVE_A_LONG_RUN.replace("SEQUENCER", "IRIS@ESW_drive"),
    "drive_aps.py": DRIVE_A_LONG_RUN.replace("SEQUENCER", "APS@ESW_drive"),
}


@pytest.fixture(scope="module")
def observatory(tmp_path_factory):
    folder = tmp_path_factory.mktemp("observatory")
    night = yaml.safe_load((NIGHT / "seq.yaml").read_text())  # the sample night's mode beside the tests' own
    config = yaml.safe_load(CONFIG)
    for section in ("scripts", "obsmodes"):
        for key, value in night[section].items():
            config[section].setdefault(key, {}).update(value)
    with running_observatory(folder, yaml.safe_dump(config), SCRIPTS, "ESW.ESW_1@127.0.0.1", "IRIS.IRIS_1@127.0.0.2",
                             "TCS.TCS_1@127.0.0.2", simulation=True) as observatory:
        yield observatory


@pytest.fixture
def drive(observatory, monkeypatch):
    """The mode ESW_drive configured for the test, shut down after it; clients find it by name."""
    monkeypatch.setenv("SEQ_REGISTRY", observatory.registry)
    configured = observatory.sm("configure", "ESW_drive")
    assert configured.returncode == 0, configured.stderr
    yield observatory
    assert observatory.sm("shutdown", "--all").returncode == 0


class Watcher:
    """What a client of one sequencer (a GUI, a shell) sees: its events, as they come."""

    def __init__(self, connection: seqclient.Connection):
        self.connection = connection
        self.events: list[dict] = []
        self._arrived = trio.Event()

    async def collect(self) -> None:
        async for event in self.connection.events():
            self.events.append(event)
            self._arrived.set()
            self._arrived = trio.Event()

    async def until(self, kind: str, **fields) -> dict:
        """The first event of ``kind`` with these fields (waiting for it)."""
        with trio.fail_after(TIMEOUT):
            while True:
                for event in self.events:
                    if event.get("kind") == kind and all(event.get(k) == v for k, v in fields.items()):
                        return event
                await self._arrived.wait()

    async def run_end(self) -> dict:
        """The ``run`` event that ends the run (finished, error, aborted)."""
        with trio.fail_after(TIMEOUT):
            while True:
                for event in self.events:
                    if event.get("kind") == "run" and event["status"] in ENDED:
                        return event
                await self._arrived.wait()

    def logs(self) -> list[str]:
        return [event["message"] for event in self.events if event.get("kind") == "log"]


@contextlib.asynccontextmanager
async def watching(*names: str) -> AsyncIterator[list[Watcher]]:
    """Clients of these sequencers (by name), each collecting what it is sent."""
    async with trio.open_nursery() as nursery, contextlib.AsyncExitStack() as stack:
        watchers = []
        for name in names:
            connection = await stack.enter_async_context(seqclient.connect_to(name, client="test"))
            watchers.append(Watcher(connection))
            nursery.start_soon(watchers[-1].collect)
        yield watchers
        nursery.cancel_scope.cancel()


async def checked(connection: seqclient.Connection, line: str):
    reply = await connection.command(line)
    assert reply.ok, f"{line}: {reply.error}"
    return reply


async def test_a_step_loads_an_ob_there_sets_a_variable_and_runs_it_to_its_end(drive):
    async with watching("ESW@ESW_drive", "IRIS@ESW_drive") as (esw, iris):
        await checked(esw.connection, "load drive_ob")
        await checked(esw.connection, "run")
        assert (await esw.run_end())["status"] == "finished"
        assert "refused: IRIS@ESW_drive has no template variable 'exptime' in OB 0 (its variables: label)" in \
            esw.logs()
        # IRIS ran its own script, then the OB, with the variable ESW set: seen by IRIS's own clients
        # (on connections of their own, so waited for)...
        await iris.until("log", message="exposing as ESW said")
        await iris.until("log", message="IRIS simulating: True")
        assert (await iris.run_end())["status"] == "finished"
        # ...and not by ESW's, whose step only waited for it.
        assert not any("exposing" in line for line in esw.logs())
        variables = (await checked(iris.connection, "lsvar")).data
        assert [(v["name"], v["value"]) for v in variables] == [("label", "as ESW said")]


async def test_two_sequencers_driven_at_once_and_one_fails(drive):
    async with watching("ESW@ESW_drive", "IRIS@ESW_drive", "TCS@ESW_drive") as (esw, iris, tcs):
        await checked(esw.connection, "load drive_parallel")
        await checked(esw.connection, "run")
        assert (await esw.run_end())["status"] == "error"
        error = await esw.until("error")
        assert error["name"] == "on_iris"
        expose_sn = (await iris.until("error"))["sn"]
        assert error["exception"] == f"seq.lib.RemoteError: IRIS@ESW_drive failed in ({expose_sn}) expose: RuntimeError: " \
            "detector saturated"
        assert "drive_parallel.py" in error["file"]  # the step's own line, where it awaited IRIS
        # TCS was running when IRIS failed; the failure cancelled ESW's other branch, which aborted TCS's run.
        tcs_started = (await tcs.until("run", status="running"))["ts"]
        assert tcs_started < (await iris.until("run", status="error"))["ts"]
        assert (await tcs.run_end())["status"] == "aborted"
        assert (await esw.until("state", name="on_tcs", state="CANCELLED"))


async def test_aborting_the_driving_run_aborts_the_driven_one(drive):
    async with watching("ESW@ESW_drive", "IRIS@ESW_drive") as (esw, iris):
        await checked(esw.connection, "load drive_long")
        await checked(esw.connection, "run")
        await iris.until("log", message="exposing plain")  # IRIS's 60 s exposure has begun
        await checked(esw.connection, "abort")
        assert (await esw.run_end())["status"] == "aborted"
        assert (await iris.run_end())["status"] == "aborted"
        assert await iris.until("state", name="expose", state="CANCELLED")  # its step was cancelled there


async def test_a_driven_component_killed_mid_run_fails_the_step_within_seconds(drive):
    aps, = drive.start("APS.APS_1@127.0.0.2", simulation=True)
    try:
        started = drive.sm("start", "APS", "ESW_drive")
        assert started.returncode == 0, started.stderr
        async with watching("ESW@ESW_drive", "APS@ESW_drive") as (esw, watched_aps):
            await checked(esw.connection, "load drive_aps")
            await checked(esw.connection, "run")
            await watched_aps.until("log", message="exposing plain")
            killed = time.monotonic()
            aps.kill()
            ended = await esw.run_end()
            seconds = time.monotonic() - killed
            error = await esw.until("error")
        assert ended["status"] == "error" and seconds < 5, seconds
        assert error["exception"].startswith(f"seq.lib.RemoteError: lost APS@ESW_drive at {aps.address} during the run: ")
        await gone(drive, "APS@ESW_drive")  # its names expire: the next test finds an observatory without it
    finally:
        del drive.components["APS.APS_1"]


async def gone(observatory: Observatory, name: str) -> None:
    async with open_directory(environ={"SEQ_REGISTRY": observatory.registry}) as directory, \
            directory.watch(name) as watcher:
        if name in watcher.entries:
            with trio.fail_after(TIMEOUT):
                async for change in watcher:
                    if change.kind == "removed":
                        return


async def test_simulation_mode_shows_in_the_directory_and_the_welcome_and_picks_the_simulation_script(drive):
    assert {entry["simulation"] for entry in (await trio.to_thread.run_sync(drive.directory)).values()} == {True}
    async with seqclient.connect_to("IRIS@ESW_drive") as iris:
        assert iris.welcome["server"].endswith(", IRIS.IRIS_1 running IRIS@ESW_drive (simulation)")
        assert (await checked(iris, "modules")).output == "iris_simulated"  # the configuration's simulation script
    for options, says in (([], "False"), (["--simulation"], "True")):
        with trio.fail_after(TIMEOUT):
            ran = await trio.run_process([sys.executable, "-m", "seqtool", "run", *options, "iris_simulated"],
                                         capture_stdout=True, capture_stderr=True, cwd=drive.folder)
        assert f"IRIS simulating: {says}" in (ran.stdout + ran.stderr).decode()


async def test_the_sample_night(observatory, monkeypatch):
    """docs/sequence-manager.md's walk-through, shortened: the night's OB with short exposures."""
    monkeypatch.setenv("SEQ_REGISTRY", observatory.registry)
    assert observatory.sm("configure", "IRIS_ifsonly", config=NIGHT / "seq.yaml").returncode == 0
    try:
        async with watching("ESW@IRIS_ifsonly", "IRIS@IRIS_ifsonly", "TCS@IRIS_ifsonly") as (esw, iris, tcs):
            await checked(esw.connection, f"ob {NIGHT / 'night_ob.json'}")
            await checked(esw.connection, "setvar 0 0 exptime 0.2")
            await checked(esw.connection, "setvar 0 0 nexp 2")
            await checked(esw.connection, "run")
            assert (await esw.run_end())["status"] == "finished", esw.events
            await iris.until("log", message="exposure 2/2 of 0.2 s: 100 %")  # (other connections: waited for)
            await tcs.until("log", message="slew: 100 %")
            assert "IRIS exposures done" in esw.logs()
    finally:
        observatory.sm("shutdown", "IRIS_ifsonly", config=NIGHT / "seq.yaml")


def test_the_sample_scripts_refuse_to_drive_hardware_they_do_not_have(tmp_path):
    ran = subprocess.run([sys.executable, "-m", "seqtool", "run", "seq.samples.night.tcs"], capture_output=True,
                         text=True, cwd=tmp_path, timeout=TIMEOUT)
    assert ran.returncode == 1
    assert "NoHardware: slew: this sample has no hardware to drive; start its component with --simulation" in \
        ran.stdout + ran.stderr
