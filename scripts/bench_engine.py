#!/usr/bin/env python3
"""Engine speed and memory: seq beside bare trio (and bluesky's RunEngine, when installed).

Prints, for N no-op steps (default 10,000):
- microseconds per node for a Sequence and a Parallel run by the engine, with
  every state and task-log record published (to a sink that keeps nothing),
  for steps written as plain functions, trio coroutines and asyncio coroutines;
- the bare-trio baseline measured in the same run: a task per node, one after
  the other for the Sequence, all in one nursery for the Parallel;
- bytes per node (tracemalloc) of a loaded tree, and the peak during a run;
- bluesky's RunEngine running N no-op messages, per message (``pip install bluesky``).

Times are CPU seconds of the process (see ``clock``).

Usage: python3 scripts/bench_engine.py [N]
"""
import gc
import os
import sys
import tempfile
import time
import tracemalloc

import trio

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


def bluesky_per_message(n):
    try:
        from bluesky import RunEngine
        from bluesky.utils import Msg
    except ImportError:
        return None

    import asyncio

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
    """Each measurement is the best of ``repeats``; rounds interleave seq and the baseline,
    so both see the same load on the machine."""
    variants = [(c, s) for c in ("Sequence", "Parallel") for s in ("plain", "with_trio", "with_asyncio")]
    baseline_runs = {"Sequence": bare_trio_sequence, "Parallel": bare_trio_parallel}
    times = {key: [] for key in [*variants, *baseline_runs]}
    with tempfile.TemporaryDirectory() as directory:
        paths = {(c, s): write_script(directory, c, s, n) for c, s in variants}
        for _ in range(repeats):
            for container, measure in baseline_runs.items():
                times[container].append(await measure(n))
            for variant in variants:
                times[variant].append(await engine_run(paths[variant]))
        peaks = {c: await engine_run(paths[(c, "plain")], trace=True) / n for c in baseline_runs}
        bytes_per_node = await tree_bytes(paths[("Sequence", "plain")], n)

    def per_node(key):
        return min(times[key]) / n * 1e6

    print(f"seq engine benchmark, {n} no-op steps per run (best of {repeats})")
    print(f"{'container':<10} {'steps':<13} {'seq µs/node':>12} {'bare trio µs/task':>18} {'ratio':>6}")
    for container, step in variants:
        ours, base = per_node((container, step)), per_node(container)
        print(f"{container:<10} {step:<13} {ours:>12.1f} {base:>18.1f} {ours / base:>6.2f}")
    print(f"memory: {bytes_per_node:.0f} bytes per node in a loaded tree; peak during a run "
          + ", ".join(f"{c} {p:.0f}" for c, p in peaks.items()) + " bytes per node")


def report_bluesky(n):
    bluesky = bluesky_per_message(n)  # outside trio: the RunEngine runs its own asyncio loop
    if bluesky is None:
        print("bluesky: not installed (pip install bluesky to compare with its RunEngine)")
    else:
        print(f"bluesky RunEngine: {bluesky:.1f} µs per no-op message")


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    trio.run(main, count)
    report_bluesky(count)
