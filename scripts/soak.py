"""Soak: many short runs through a real seqserver while clients come and go at random.

    python scripts/soak.py [--runs 1000] [--seed N]

First, a load: `--clients` connections at once (default 100), all but one
watching one run of `--steps` no-op steps, each expected to see every step end.
Then the soak: it starts a server (with its shell and kernel), loads a short script and runs it
``--runs`` times from one client while others connect and leave at random:
some send a command and wait for its reply, some leave mid-command, some
connect and never say hello, some greet and stop reading. After a warm-up, it
measures the open file descriptors, the processes and the memory (RSS) of the
server, shell and kernel, and again at the end; it fails (exit status 1) when
any of them grew beyond the bounds below. The test suite runs a reduced form.
"""
from __future__ import annotations

import argparse
import functools
import dataclasses
import os
import pathlib
import random
import sys
import tempfile
import textwrap
import time

import trio

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "server")]
import protocol  # noqa: E402
import seqclient as client  # noqa: E402
from server_harness import ServerProcess, chain_pids, hello, children_of, rss, running_server  # noqa: E402

FD_GROWTH = 4  # descriptors per process
PROCESS_GROWTH = 0  # processes under the server
RSS_GROWTH = 30 * 1024 * 1024  # bytes per process
WARM_UP_RUNS = 20

SHORT_SCRIPT = """
    import logging
    from seq.lib.nodes import Parallel, Sequence

    async def a():
        logging.getLogger("seq.user").info("a ran")

    async def b():
        print("b ran")

    def c():
        pass

    def create_sequence(*args, **kw):
        return Sequence.create(a, Parallel.create(b, c), name="short", **kw)
"""


@dataclasses.dataclass
class Footprint:
    fds: dict[str, int]
    rss: dict[str, int]
    processes: int


@dataclasses.dataclass
class SoakResult:
    runs: int
    seconds: float
    visitors: dict[str, int]
    before: Footprint
    after: Footprint

    def problems(self) -> list[str]:
        found = []
        for name, count in self.after.fds.items():
            if count - self.before.fds.get(name, 0) > FD_GROWTH:
                found.append(f"{name}: file descriptors {self.before.fds.get(name)} -> {count}")
        for name, size in self.after.rss.items():
            if size - self.before.rss.get(name, 0) > RSS_GROWTH:
                found.append(f"{name}: memory {self.before.rss.get(name, 0) >> 20} -> {size >> 20} MiB")
        if self.after.processes - self.before.processes > PROCESS_GROWTH:
            found.append(f"processes under the server: {self.before.processes} -> {self.after.processes}")
        return found

    def summary(self) -> str:
        def row(label, before, after, unit=""):
            return f"  {label:<22}" + "  ".join(f"{k} {before[k]}{unit}->{after[k]}{unit}" for k in after)

        return "\n".join([
            f"{self.runs} runs in {self.seconds:.1f} s ({self.runs / self.seconds:.1f} runs/s), "
            f"visiting clients: " + ", ".join(f"{count} {kind}" for kind, count in self.visitors.items()),
            row("open descriptors", self.before.fds, self.after.fds),
            row("memory (RSS, MiB)", {k: v >> 20 for k, v in self.before.rss.items()},
                {k: v >> 20 for k, v in self.after.rss.items()}),
            f"  {'processes':<22}{self.before.processes}->{self.after.processes}",
            f"  bounds: descriptors +{FD_GROWTH}, memory +{RSS_GROWTH >> 20} MiB per process, processes +{PROCESS_GROWTH}",
        ])


def _descendants(pid: int) -> list[int]:
    found, pending = [], children_of(pid)
    while pending:
        child = pending.pop()
        found.append(child)
        pending.extend(children_of(child))
    return found


def footprint(server: ServerProcess) -> Footprint:
    """Descriptors and memory of the server, its shell and kernel; processes under the server."""
    shell, kernel = chain_pids(server)
    pids = {"server": server.process.pid, "shell": shell, "kernel": kernel}
    return Footprint(
        fds={name: len(os.listdir(f"/proc/{pid}/fd")) for name, pid in pids.items()},
        rss={name: rss(pid) for name, pid in pids.items()},
        processes=len(_descendants(server.process.pid)),
    )


def server_in(workdir: pathlib.Path):
    """A seqserver working in ``workdir`` (its session directories there too)."""
    python_path = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    env = {**os.environ, "TMPDIR": str(workdir), "PYTHONPATH": python_path}
    return running_server("--log-level", "WARN", cwd=workdir, env=env)


async def _visit(host: str, port: int, kind: str) -> None:
    """One visiting client, behaving as ``kind`` says."""
    if kind == "polite":
        async with client.connect(host, port, client="visitor") as conn:
            await conn.command(random.choice(["nodes", "modules", "lsob", "tree"]))
        return
    stream = await trio.open_tcp_stream(host, port)
    try:
        if kind == "silent":
            await trio.sleep(random.uniform(0, 0.2))
            return
        await stream.send_all(hello(kind))
        if kind == "leaver":  # gone before the reply
            await stream.send_all(protocol.encode(protocol.Cmd(id=1, line="nodes")))
        elif kind == "deaf":  # never reads while runs go on
            await trio.sleep(random.uniform(0.1, 0.5))
    finally:
        await trio.aclose_forcefully(stream)


async def soak(runs: int, *, seed: int = 0, workdir: pathlib.Path | None = None) -> SoakResult:
    random.seed(seed)
    with tempfile.TemporaryDirectory() as scratch:
        workdir = pathlib.Path(workdir or scratch)
        script = workdir / "short_runs.py"
        script.write_text(textwrap.dedent(SHORT_SCRIPT))
        async with server_in(workdir) as server:
            host, port = server.host, server.port
            async with server.connect("soak") as driver:
                reply = await driver.command(f"load {script}")
                assert reply.ok, reply.error

                async def run_once():
                    assert (await driver.command("run")).ok
                    outcome = await driver.command("wait 30")
                    assert outcome.ok and outcome.output.strip() == "finished", outcome

                for _ in range(WARM_UP_RUNS):
                    await run_once()
                before = footprint(server)
                visitors: dict[str, int] = {}
                started = time.perf_counter()
                async with trio.open_nursery() as nursery:
                    async def churn():
                        while True:
                            kind = random.choice(["polite", "leaver", "silent", "deaf"])
                            visitors[kind] = visitors.get(kind, 0) + 1
                            nursery.start_soon(_visit, host, port, kind)
                            await trio.sleep(random.uniform(0, 0.02))

                    nursery.start_soon(churn)
                    for _ in range(runs):
                        await run_once()
                    nursery.cancel_scope.cancel()
                seconds = time.perf_counter() - started
                with trio.fail_after(30):  # the visitors' connections are closed: let the server see it
                    while len(os.listdir(f"/proc/{server.process.pid}/fd")) - before.fds["server"] > FD_GROWTH:
                        await driver.command("modules")
                after = footprint(server)
    return SoakResult(runs, seconds, visitors, before, after)


MANY_STEPS = """
    from seq.lib.nodes import Action, Sequence

    async def noop():
        pass

    def create_sequence(*args, **kw):
        return Sequence.create(*(Action(noop, name=f"step{{i}}") for i in range({steps})), name="many", **kw)
"""


@dataclasses.dataclass
class LoadResult:
    clients: int
    steps: int
    seconds: float
    events: int  # delivered, summed over the clients
    complete: int  # clients that saw every step's final state

    def summary(self) -> str:
        watchers = self.clients - 1
        return (f"{self.clients} clients at once, {watchers} watching a run of {self.steps} steps: {self.events} "
                f"events delivered in {self.seconds:.1f} s ({self.events / self.seconds:,.0f} events/s to clients), "
                f"{self.complete} of {watchers} saw every step finish")


async def load(clients: int, steps: int, *, workdir: pathlib.Path | None = None) -> LoadResult:
    """``clients`` connections at once: a driver, and watchers following one run of ``steps`` no-op steps."""
    with tempfile.TemporaryDirectory() as scratch:
        workdir = pathlib.Path(workdir or scratch)
        script = workdir / "many_steps.py"
        script.write_text(textwrap.dedent(MANY_STEPS.format(steps=steps)))
        async with server_in(workdir) as server:
            counts, finished_steps = [], []

            async def watch(ready: trio.Event):
                async with server.connect("watcher") as conn:
                    ready.set()
                    count, done = 0, set()
                    async for event in conn.events():
                        count += 1
                        if event.get("kind") == "state" and event["state"] == "FINISHED":
                            done.add(event["name"])
                        if event.get("kind") == "run" and event["status"] != "running":
                            break
                    counts.append(count)
                    finished_steps.append(sum(name.startswith("step") for name in done))

            async with server.connect("driver") as driver:
                assert (await driver.command(f"load {script}")).ok
                async with trio.open_nursery() as nursery:
                    for _ in range(clients - 1):  # and the driver: ``clients`` at once
                        ready = trio.Event()
                        nursery.start_soon(watch, ready)
                        await ready.wait()
                    started = time.perf_counter()
                    assert (await driver.command("run")).ok
                seconds = time.perf_counter() - started
    return LoadResult(clients, steps, seconds, sum(counts), sum(n == steps for n in finished_steps))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--clients", type=int, default=100, help="clients watching one long run, before the soak")
    parser.add_argument("--steps", type=int, default=2000, help="steps of that run")
    args = parser.parse_args()
    print(trio.run(functools.partial(load, args.clients, args.steps)).summary())
    result = trio.run(functools.partial(soak, args.runs, seed=args.seed))
    print(result.summary())
    problems = result.problems()
    for problem in problems:
        print(f"GREW: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
