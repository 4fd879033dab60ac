"""Benchmark of the sequence manager and of sequencers driving sequencers.

Real components (``seqserver --component``, each with its shell and kernel) on 127.0.0.1
and 127.0.0.2, registered in a real ``redis-server``. Prints, beside a baseline measured
in the same run:

- the time to configure an observing mode of 5 sequencers (ESW, IRIS, TCS, WFOS, APS),
  through the API (``SequenceManager.configure``) and with ``seqtool sm configure``;
  baseline: the five ``loadscript`` commands sent straight to the five components at
  once, which any configure has to wait for (no directory reads, no claims, no order),
  and for the command, its start-up alone (``--help``: the same imports);
- the time a step of the ESW sequencer takes to drive the IRIS sequencer through one
  run of one step (``await IRIS.run()``), for a no-op step and a 10 ms step; baselines:
  the same step run in the ESW sequencer itself, and the same remote run driven by a
  client outside any sequencer (seqclient: connect, run, wait for its end).

    python3 scripts/bench_sm.py [--rounds N] [--steps N]
"""
from __future__ import annotations

import argparse
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

import trio

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "tests" / "manager")]
os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])  # the servers'

import seqclient  # noqa: E402
from observatory_harness import SEQTOOL, Observatory, running_observatory  # noqa: E402
from seqclient.config import load_config  # noqa: E402
from seqlocation import open_directory  # noqa: E402
from seqmanager import SequenceManager  # noqa: E402

MODE = "BENCH_five"
SUBSYSTEMS = ("ESW", "IRIS", "TCS", "WFOS", "APS")
COMPONENTS = ("ESW.ESW_1@127.0.0.1", "IRIS.IRIS_1@127.0.0.2", "TCS.TCS_1@127.0.0.1", "WFOS.WFOS_1@127.0.0.2",
              "APS.APS_1@127.0.0.1")
CONFIG = "scripts:\n" + "".join(f"  {s}: {{{MODE}: step_noop}}\n" for s in SUBSYSTEMS) + \
    f"obsmodes:\n  {MODE}: {{resources: [IRIS, TCS], sequencers: [{', '.join(SUBSYSTEMS)}]}}\n"
STEPS = {"noop": "pass", "10ms": "await asyncio.sleep(0.01)"}


def scripts(steps: int) -> dict[str, str]:
    """The step modules (one step), the same step ``steps`` times (local), and the driver (``steps`` remote runs)."""
    files = {}
    for kind, body in STEPS.items():
        step = f"import asyncio\nfrom seq.lib import Sequence\n\nasync def step():\n    {body}\n\n"
        files[f"step_{kind}.py"] = step + "def create_sequence(*args, **kw):\n    return Sequence.create(step, **kw)\n"
        files[f"local_{kind}.py"] = step + f"def create_sequence(*args, **kw):\n    " \
            f"return Sequence.create(*[step] * {steps}, **kw)\n"
    files["drive.py"] = (
        f"from seq.lib import Sequence, get_sequencer\n\nIRIS = get_sequencer('IRIS@{MODE}')\n\n"
        f"async def drive():\n    await IRIS.run()\n\n"
        f"def create_sequence(*args, **kw):\n    return Sequence.create(*[drive] * {steps}, **kw)\n")
    return files


def ms(seconds: float) -> str:
    return f"{seconds * 1e6:.0f} µs" if seconds < 1e-3 else f"{seconds * 1000:.1f} ms"


def row(what: str, ours: list[float], baseline: list[float], baseline_name: str) -> None:
    mine, base = statistics.median(ours), statistics.median(baseline)
    print(f"{what:<58} {ms(mine):>10}   {baseline_name:<44} {ms(base):>10}   {mine / base:6.2f}x")


async def until_run_ends(connection: seqclient.Connection) -> float:
    """Run what is loaded; its duration from the kernel's own run events (running -> finished)."""
    events = connection.events()
    reply = await connection.command("run")
    assert reply.ok, reply.error
    started = None
    async for event in events:
        if event.get("kind") == "run" and event["status"] == "running" and started is None:
            started = event["ts"]
        elif event.get("kind") == "run" and event["status"] != "running":
            assert event["status"] == "finished", event
            return event["ts"] - started
    raise RuntimeError("the connection ended")


async def loaded(name: str, *modules: str) -> None:
    """``name`` with only these modules loaded (``clear``: a fresh kernel)."""
    async with seqclient.connect_to(name) as connection:
        for line in ("clear", *(f"load {module}" for module in modules)):
            reply = await connection.command(line)
            assert reply.ok, reply.error


async def configuring(observatory: Observatory, rounds: int) -> None:
    config = load_config(observatory.config)
    api, cli, direct, start_up = [], [], [], []
    async with open_directory(environ={"SEQ_REGISTRY": observatory.registry}) as directory:
        manager = SequenceManager(directory, config)
        components = {entry.name.partition(".")[0]: entry for entry in await directory.entries("*.*_1")}
        for _ in range(rounds):
            started = time.perf_counter()
            await manager.configure(MODE)
            api.append(time.perf_counter() - started)
            await manager.shutdown(MODE)

            started = time.perf_counter()
            done = await trio.to_thread.run_sync(observatory.sm, "configure", MODE)
            cli.append(time.perf_counter() - started)
            assert done.returncode == 0, done.stderr
            await manager.shutdown(MODE)

            started = time.perf_counter()
            await trio.run_process([*SEQTOOL, "sm", "configure", "--help"], stdout=subprocess.DEVNULL)
            start_up.append(time.perf_counter() - started)

            started = time.perf_counter()
            async with trio.open_nursery() as nursery:
                for subsystem, entry in components.items():
                    nursery.start_soon(load_script, entry, subsystem)
            direct.append(time.perf_counter() - started)
            await manager.shutdown(MODE)
    row(f"configure {MODE} (5 sequencers), API", api, direct, "5 loadscripts at once, straight")
    row(f"configure {MODE} (5 sequencers), seqtool sm configure", cli, direct, "5 loadscripts at once, straight")
    row("", cli, start_up, "seqtool sm configure --help (start-up)")


async def load_script(entry, subsystem: str) -> None:
    async with seqclient.connect(entry.host, entry.port, name=entry.name) as connection:
        reply = await connection.command(f"loadscript {subsystem} {MODE}")
        assert reply.ok, reply.error


async def driving(observatory: Observatory, rounds: int, steps: int) -> None:
    await trio.to_thread.run_sync(observatory.sm, "configure", MODE)
    for kind in STEPS:
        remote, local, client = [], [], []
        for _ in range(rounds):
            await loaded(f"IRIS@{MODE}", f"step_{kind}")
            await loaded(f"ESW@{MODE}", "drive")
            async with seqclient.connect_to(f"ESW@{MODE}") as esw:
                remote.append(await until_run_ends(esw) / steps)
            await loaded(f"ESW@{MODE}", f"local_{kind}")
            async with seqclient.connect_to(f"ESW@{MODE}") as esw:
                local.append(await until_run_ends(esw) / steps)
            started = time.perf_counter()
            for _ in range(steps):
                async with seqclient.connect_to(f"IRIS@{MODE}") as iris:
                    await until_run_ends(iris)
            client.append((time.perf_counter() - started) / steps)
        row(f"a step running IRIS's {kind} step remotely, per step", remote, local, f"the {kind} step run in ESW itself")
        row("", remote, client, "the same remote run from a client")


async def main(rounds: int, steps: int) -> None:
    with tempfile.TemporaryDirectory() as folder, \
            running_observatory(pathlib.Path(folder), CONFIG, scripts(steps), *COMPONENTS) as observatory:
        os.environ["SEQ_REGISTRY"] = observatory.registry
        print(f"{'':<58} {'seq':>10}   {'baseline':<44} {'':>10}   ratio")
        await configuring(observatory, rounds)
        await driving(observatory, rounds, steps)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=30)
    options = parser.parse_args()
    trio.run(main, options.rounds, options.steps)
