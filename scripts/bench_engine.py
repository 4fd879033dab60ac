#!/usr/bin/env python3
"""Engine speed and memory: seq beside bare trio (and bluesky's RunEngine, when installed).

Prints, for N no-op steps (default 10,000):
- microseconds per node for a Sequence and a Parallel run by the engine, with
  every state and task-log record published (to a sink that keeps nothing),
  for steps written as plain functions, trio coroutines and asyncio coroutines;
- the bare-trio baseline measured in the same run: a task per node, one after
  the other for the Sequence, all in one nursery for the Parallel;
- for the Parallel of asyncio steps, what an asyncio task per node costs by
  itself, on trio-asyncio's loop (as the engine runs them) and on asyncio's own;
- bytes per node (tracemalloc) of a loaded tree, and the peak during a run;
- bluesky's RunEngine running N no-op messages, per message (``pip install bluesky``).

Times are CPU seconds of the process (see ``clock``).

Usage: python3 scripts/bench_engine.py [N]
"""
import asyncio
import gc
import math
import os
import sys
import tempfile
import time
import tracemalloc

import trio
import trio_asyncio

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from seqkernel.engine import Engine  # noqa: E402

#: CPU time of this process: the runs are CPU-bound and single-threaded, so this is
#: their wall time on an idle machine, and it stays comparable on a busy one.
clock = time.process_time

SCRIPT = """
import asyncio, trio
from seq.lib.nodes import {container}

def plain():
    pass

async def with_trio():
    await trio.lowlevel.checkpoint_if_cancelled()

async def with_asyncio():
    pass

def create_sequence():
    return {container}.create(*[{step}] * {n})
"""


def write_script(directory, container, step, n):
    path = os.path.join(directory, f"bench_{container}_{step}.py")
    with open(path, "w") as stream:
        stream.write(SCRIPT.format(container=container, step=step, n=n))
    return path


def discard(record):
    pass


async def engine_run(path, trace=False):
    """Seconds for one run of the script at ``path`` (or, with ``trace``, the run's peak memory)."""
    async with Engine.open(publish=discard) as engine:
        engine.load(path)
        gc.collect()
        if trace:
            tracemalloc.start()
        start = clock()
        engine.run()
        outcome = await engine.wait()
        elapsed = clock() - start
        assert outcome == "finished", outcome
        if trace:
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            return peak
        return elapsed


async def tree_bytes(path, n):
    async with Engine.open(publish=discard) as engine:
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.take_snapshot()
        engine.load(path)
        after = tracemalloc.take_snapshot()
        tracemalloc.stop()
        grown = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
        return grown / n


async def noop():
    pass


async def bare_trio_sequence(n):
    start = clock()
    for _ in range(n):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(noop)
    return clock() - start


async def bare_trio_parallel(n):
    start = clock()
    async with trio.open_nursery() as nursery:
        for _ in range(n):
            nursery.start_soon(noop)
    return clock() - start


async def asyncio_tasks(n):
    """(asyncio) ``n`` no-op tasks started together, each counting itself down when done."""
    loop = asyncio.get_running_loop()
    all_done = loop.create_future()
    running = [n]

    async def task():
        running[0] -= 1
        if not running[0]:
            all_done.set_result(None)

    for _ in range(n):
        loop.create_task(task())
    await all_done


async def asyncio_tasks_under_trio_asyncio(n):
    async with trio_asyncio.open_loop():
        start = clock()
        await trio_asyncio.aio_as_trio(asyncio_tasks)(n)
        return clock() - start


def asyncio_tasks_on_asyncio_loop(n, repeats=5):
    """µs per task of :func:`asyncio_tasks` run by asyncio's own loop (outside trio)."""
    asyncio.set_event_loop_policy(asyncio.DefaultEventLoopPolicy())  # trio-asyncio installed its own
    best = math.inf
    for _ in range(repeats):
        with asyncio.Runner() as runner:
            start = clock()
            runner.run(asyncio_tasks(n))
            best = min(best, clock() - start)
    return best / n * 1e6


def bluesky_per_message(n):
    try:
        from bluesky import RunEngine
        from bluesky.utils import Msg
    except ImportError:
        return None

    asyncio.set_event_loop_policy(asyncio.DefaultEventLoopPolicy())  # trio-asyncio installed its own

    def plan():
        for _ in range(n):
            yield Msg("null")

    engine = RunEngine({}, call_returns_result=False)
    start = clock()
    engine(plan())
    elapsed = clock() - start
    return elapsed / n * 1e6


async def main(n, repeats=5):
    """Each measurement is the best of ``repeats``; rounds interleave seq and the baselines,
    so all see the same load on the machine. Returns µs per asyncio task on trio-asyncio's loop."""
    variants = [(c, s) for c in ("Sequence", "Parallel") for s in ("plain", "with_trio", "with_asyncio")]
    baseline_runs = {"Sequence": bare_trio_sequence, "Parallel": bare_trio_parallel}
    times = {key: [] for key in [*variants, *baseline_runs, "asyncio tasks"]}
    traced = [("Sequence", "plain"), ("Parallel", "plain"), ("Parallel", "with_asyncio")]
    with tempfile.TemporaryDirectory() as directory:
        paths = {(c, s): write_script(directory, c, s, n) for c, s in variants}
        for _ in range(repeats):
            for container, measure in baseline_runs.items():
                gc.collect()  # as before each engine run: no run pays for the garbage of the one before
                times[container].append(await measure(n))
            for variant in variants:
                times[variant].append(await engine_run(paths[variant]))
            gc.collect()
            times["asyncio tasks"].append(await asyncio_tasks_under_trio_asyncio(n))
        peaks = {variant: await engine_run(paths[variant], trace=True) / n for variant in traced}
        bytes_per_node = await tree_bytes(paths[("Sequence", "plain")], n)

    def per_node(key):
        return min(times[key]) / n * 1e6

    print(f"seq engine benchmark, {n} no-op steps per run (best of {repeats})")
    print(f"{'container':<10} {'steps':<13} {'seq µs/node':>12} {'bare trio µs/task':>18} {'ratio':>6}")
    for container, step in variants:
        ours, base = per_node((container, step)), per_node(container)
        print(f"{container:<10} {step:<13} {ours:>12.1f} {base:>18.1f} {ours / base:>6.2f}")
    print(f"memory: {bytes_per_node:.0f} bytes per node in a loaded tree; peak during a run "
          + ", ".join(f"{c} {s} {p:.0f}" for (c, s), p in peaks.items()) + " bytes per node")
    return per_node("asyncio tasks")


def report_outside_trio(n, asyncio_tasks_on_trio_asyncio):
    """The figures measured outside trio: asyncio's own loop, and bluesky's RunEngine on it."""
    print(f"an asyncio task per node by itself (the floor for a Parallel of asyncio steps): "
          f"{asyncio_tasks_on_trio_asyncio:.1f} µs on trio-asyncio's loop, "
          f"{asyncio_tasks_on_asyncio_loop(n):.1f} µs on asyncio's own")
    bluesky = bluesky_per_message(n)
    if bluesky is None:
        print("bluesky: not installed (pip install bluesky to compare with its RunEngine)")
    else:
        print(f"bluesky RunEngine: {bluesky:.1f} µs per no-op message")


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    report_outside_trio(count, trio.run(main, count))
