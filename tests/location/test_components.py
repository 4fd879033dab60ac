"""Sequence components: real seqserver processes registered in a real location service.

Two "hosts" are two loopback addresses (127.0.0.1, 127.0.0.2). The scripts the
observing modes load are written by each test into its folder, which is the
servers' working directory (so the kernels import them by name).
"""
from __future__ import annotations

import pathlib
import signal
import subprocess
import sys
import textwrap
import time

import pytest
import trio

import seqclient
from registry_harness import SEQTOOL, TIMEOUT, Registry, read_line

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "server"))
from server_harness import running_server  # noqa: E402

SHELL = [sys.executable, "-m", "seqshell"]


def component(registry: Registry, observatory: pathlib.Path, name: str, host: str = "127.0.0.1", *options: str):
    """A seqserver started as the sequence component ``name``."""
    return running_server("--address", f"{host}:0", "--component", name, "--config", str(observatory / "seq.yaml"),
                          *options, cwd=observatory, env={**registry.env, "TMPDIR": str(observatory)})


async def entries(registry: Registry) -> dict[str, object]:
    async with registry.open() as directory:
        return {entry.name: entry for entry in await directory.entries()}


async def test_a_component_loads_the_script_of_an_observing_mode_and_becomes_its_sequencer(registry, observatory):
    async with component(registry, observatory, "IRIS.IRIS_1") as iris, \
            component(registry, observatory, "ESW.ESW_77", "127.0.0.2") as esw:
        found = await entries(registry)
        assert {name: (e.kind, e.state, e.address) for name, e in found.items()} == {
            "ESW.ESW_77": ("component", "idle", esw.address), "IRIS.IRIS_1": ("component", "idle", iris.address)}
        async with iris.connect() as conn:
            status = await conn.command("getstatus")
            assert status.ok and status.output.startswith("IRIS.IRIS_1 is idle") and status.data is None
            loaded = await conn.command("loadscript IRIS IRIS_ifsonly")
            assert loaded.ok, loaded.error
            assert loaded.output.startswith("IRIS.IRIS_1 runs the sequencer IRIS@IRIS_ifsonly (iris_ifsonly)")
            status = await conn.command("getstatus")
            assert status.data["name"] == "IRIS@IRIS_ifsonly" and status.data["component"] == "IRIS.IRIS_1"
            assert (await conn.command("getsequencecomponent")).data["name"] == "IRIS.IRIS_1"
            assert "IFS only" in (await conn.command("nodes")).output
            found = await entries(registry)
            assert found["IRIS@IRIS_ifsonly"].kind == "sequencer" and found["IRIS.IRIS_1"].state == "running"
            assert found["IRIS.IRIS_1"].sequencer == "IRIS@IRIS_ifsonly"
            assert (await conn.command("unloadscript")).output == "IRIS.IRIS_1 no longer runs IRIS@IRIS_ifsonly: idle"
            assert (await conn.command("nodes")).output == ""  # a fresh kernel, nothing loaded
            assert (await conn.command("unloadscript")).ok  # harmless when idle
            assert "idle" in (await conn.command("restartscript")).error
            assert "IRIS@IRIS_ifsonly" not in await entries(registry)
            variation = await conn.command("loadscript IRIS IRIS_ImagerAndIFS IMAGER")
            assert variation.ok and "IRIS@IRIS_ImagerAndIFS.IMAGER (iris_imager)" in variation.output
            restarted = await conn.command("restartscript")
            assert restarted.ok and "runs the sequencer IRIS@IRIS_ImagerAndIFS.IMAGER" in restarted.output


@pytest.mark.parametrize("line, problem", [
    ("loadscript IRIS ifsonly", "observing mode 'ifsonly': expected <system>_<modeName>"),
    ("loadscript IRIS IRIS_darknight", "no script of IRIS for the observing mode IRIS_darknight"),
    ("loadscript IRIS IRIS_ImagerAndIFS SPECTRO", "no variation SPECTRO of IRIS's script for IRIS_ImagerAndIFS"),
    ("loadscript IRIS IRIS_missing", "cannot load no_such_module for IRIS@IRIS_missing"),
    ("loadscript IRIS IRIS_broken", "RuntimeError: no detector"),
    ("loadscript IRIS", "the following arguments are required: OBSMODE"),
])
async def test_a_script_that_cannot_be_loaded_is_refused_clearly_and_registers_nothing(
        registry, observatory, line, problem):
    async with component(registry, observatory, "IRIS.IRIS_1") as iris, iris.connect() as conn:
        refused = await conn.command(line)
        assert not refused.ok and problem in refused.error, refused.error
        assert set(await entries(registry)) == {"IRIS.IRIS_1"}
        assert (await conn.command("getstatus")).data is None


async def test_one_sequencer_name_one_component(registry, observatory):
    async with component(registry, observatory, "IRIS.IRIS_1") as first, \
            component(registry, observatory, "ESW.ESW_77", "127.0.0.2") as second:
        async with first.connect() as one, second.connect() as other:
            assert (await one.command("loadscript IRIS IRIS_ifsonly")).ok
            again = await one.command("loadscript IRIS IRIS_ImagerAndIFS")
            assert "IRIS.IRIS_1 already runs the sequencer IRIS@IRIS_ifsonly: unloadscript first" == again.error
            elsewhere = await other.command("loadscript IRIS IRIS_ifsonly")
            assert not elsewhere.ok and "IRIS@IRIS_ifsonly is already held by a live sequencer at " \
                f"{first.address}" in elsewhere.error
            assert (await entries(registry))["ESW.ESW_77"].state == "idle"
        # The same component name, twice: the second server says who holds it and does not start.
        with trio.fail_after(TIMEOUT):
            clash = await trio.run_process(
                [sys.executable, "-m", "seqserver", "--address", "127.0.0.1:0", "--component", "IRIS.IRIS_1"],
                capture_stdout=True, capture_stderr=True, check=False, env=registry.env, cwd=observatory)
        assert clash.returncode == 2
        assert f"IRIS.IRIS_1 is already held by a live component at {first.address}" in clash.stderr.decode()


async def test_clients_reach_a_sequencer_by_name_and_never_another_server(registry, observatory, monkeypatch):
    async with component(registry, observatory, "IRIS.IRIS_1", "127.0.0.2") as iris, running_server() as stranger:
        async with iris.connect() as conn:
            assert (await conn.command("loadscript IRIS IRIS_ifsonly")).ok
        for name in ("IRIS@IRIS_ifsonly", "IRIS.IRIS_ifsonly", "IRIS.IRIS_1"):  # TMT's dotted form too
            with trio.fail_after(TIMEOUT):
                shell = await trio.run_process([*SHELL, "--connect", name], stdin=b"nodes\n", capture_stdout=True,
                                               capture_stderr=True, check=False, env=registry.env, cwd=observatory)
            assert shell.returncode == 0, shell.stderr.decode()
            assert f"connected to seqserver at {name}" in shell.stdout.decode()
            assert "IFS only NOT_STARTED" in shell.stdout.decode()
        monkeypatch.setenv("SEQ_REGISTRY", registry.url)  # how the client library finds the registry
        async with seqclient.connect_to("IRIS@IRIS_ifsonly") as conn:
            assert (await conn.command("getsequencecomponent")).data["name"] == "IRIS.IRIS_1"
        # A server that does not hold the name (as one that took the port of a crashed one) refuses the client.
        with pytest.raises(seqclient.ConnectionClosed, match="this server is not 'IRIS@IRIS_ifsonly': it is no "
                           "sequence component"):
            async with seqclient.connect(stranger.host, stranger.port, name="IRIS@IRIS_ifsonly"):
                pass
        with trio.fail_after(TIMEOUT):
            unknown = await trio.run_process([*SHELL, "--connect", "IRIS@IRIS_darknight"], stdin=b"", check=False,
                                             capture_stdout=True, capture_stderr=True, env=registry.env)
        said = unknown.stdout.decode() + unknown.stderr.decode()
        assert unknown.returncode == 2 and "no component or sequencer IRIS@IRIS_darknight" in said


async def test_a_killed_component_leaves_the_directory_within_3_s(observatory, tmp_path):
    registry = Registry("embedded", f"file:{tmp_path / 'registry'}")
    async with component(registry, observatory, "ESW.ESW_77") as esw:
        watch = await trio.lowlevel.open_process([*SEQTOOL, "locate", "--watch"], stdout=subprocess.PIPE,
                                                 env=registry.env)
        try:
            with trio.fail_after(TIMEOUT):
                while "ESW.ESW_77" not in await read_line(watch.stdout):
                    pass
            killed = time.monotonic()
            esw.process.send_signal(signal.SIGKILL)
            with trio.fail_after(TIMEOUT):
                while "removed ESW.ESW_77" not in (line := await read_line(watch.stdout)):
                    pass
            assert time.monotonic() - killed < 3, line
            assert line.endswith("(expired)")
        finally:
            watch.kill()
            await watch.wait()


async def test_a_component_started_again_comes_back_with_its_sequencer_and_work(redis_registry, observatory):
    """Its work log is kept in Redis: a server started again under the same name (after the server
    itself crashed) takes its sequencer's name again and loads what it had."""
    registry = redis_registry
    async with component(registry, observatory, "IRIS.IRIS_1") as iris:
        async with iris.connect() as conn:
            assert (await conn.command("loadscript IRIS IRIS_ifsonly")).ok
            assert (await conn.command("load seq.samples.a")).ok
            assert (await conn.command("skip 3")).ok  # flags are not work: they are not kept across servers
        iris.process.send_signal(signal.SIGKILL)
        await iris.process.wait()
    async with component(registry, observatory, "IRIS.IRIS_1") as again, again.connect() as conn:
        assert (await conn.command("getstatus")).data["name"] == "IRIS@IRIS_ifsonly"
        # Commands wait until the fresh shell and kernel have their work back.
        assert (await conn.command("modules")).output.splitlines() == ["iris_ifsonly", "seq.samples.a"]


async def test_a_component_survives_redis_restarting_under_it(redis_registry, observatory):
    registry = redis_registry
    async with component(registry, observatory, "IRIS.IRIS_1") as iris, iris.connect() as conn:
        assert (await conn.command("loadscript IRIS IRIS_ifsonly")).ok
        registry.redis.restart()  # everything Redis held is lost
        async with registry.open() as directory, directory.watch() as watcher:
            seen = set(watcher.entries)
            with trio.fail_after(TIMEOUT):
                async for change in watcher:  # the component puts both its names back by itself
                    if change.kind == "registered":
                        seen.add(change.entry.name)
                    if seen >= {"IRIS.IRIS_1", "IRIS@IRIS_ifsonly"}:
                        break
        assert (await conn.command("getstatus")).data["name"] == "IRIS@IRIS_ifsonly"


def test_the_configuration_refuses_a_mode_without_scripts(tmp_path):
    (tmp_path / "seq.yaml").write_text(textwrap.dedent("""
        scripts:
          ESW:
            IRIS_ifsonly: esw_top
        obsmodes:
          IRIS_ifsonly:
            resources: [IRIS, TCS]
            sequencers: [ESW, IRIS]
    """))
    started = subprocess.run([sys.executable, "-m", "seqserver", "--config", str(tmp_path / "seq.yaml"),
                              "--component", "ESW.ESW_1"], capture_output=True, text=True, timeout=60)
    assert started.returncode == 2
    assert "obsmodes.IRIS_ifsonly needs the sequencer IRIS, but scripts.IRIS has no script for IRIS_ifsonly" \
        in started.stderr
