#!/usr/bin/env python3
"""Engine speed and memory: seq beside bare trio, the thread pool, asyncio's own loop and bluesky.

Prints, for N no-op steps (default 10,000):
- microseconds per node for a Sequence, a Parallel and a Loop (N turns of one
  step, each turn running the condition and the step) run by the engine as the
  kernel runs it (trio the guest of an asyncio loop), every state and task-log
  record published (to a sink that keeps nothing), for steps written as plain
  functions, trio coroutines and asyncio coroutines;
- the bare-trio baseline measured in the same run, under ``trio.run``: a task
  per node, one after the other (Sequence, Loop) or all in one nursery (Parallel);
- for plain functions, which run in worker threads, the thread-pool floor under
  the same host as the engine: ``trio.to_thread.run_sync`` of a no-op per node,
  one after the other or all together;
- an asyncio task per node by itself, on asyncio's own loop;
- bytes per node (tracemalloc) of a loaded tree, and the peak during a run;
- bluesky's RunEngine running N no-op messages, per message, in a process of its
  own so that neither import disturbs the other (``pip install bluesky``).

Times are CPU seconds of the process, all its threads included (see ``clock``).

Usage: python3 scripts/bench_engine.py [N]
"""
import asyncio
import gc
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc

import trio

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from seqkernel import host  # noqa: E402
from seqkernel.engine import Engine  # noqa: E402

#: CPU time of this process: the runs are CPU-bound, so this is their wall time on an
#: idle machine, and it stays comparable on a busy one. Worker threads count too.
clock = time.process_time

SCRIPT = """
import asyncio, trio
from seq.lib.nodes import Loop, {container}

def plain():
    pass

async def with_trio():
    await trio.lowlevel.checkpoint_if_cancelled()

async def with_asyncio():
    pass

def plain_more():
    return Loop.index.get() < {n}

async def with_trio_more():
    await trio.lowlevel.checkpoint_if_cancelled()
    return Loop.index.get() < {n}

async def with_asyncio_more():
    return Loop.index.get() < {n}

def create_sequence():
    if {container} is Loop:
        return Loop.create({step}, condition={step}_more)
    return {container}.create(*[{step}] * {n})
"""
CONTAINERS = ("Sequence", "Parallel", "Loop")
STEPS = ("plain", "with_trio", "with_asyncio")
#: bare trio's way of running what each container runs
BASELINE = {"Sequence": "one after the other", "Parallel": "together", "Loop": "one after the other"}


def nodes_run(container, n):
    """Nodes executed by one run: a Loop runs its condition once per turn, and once more to end."""
    return 2 * n + 1 if container == "Loop" else n


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


def noop_function():
    pass


async def one_after_the_other(n, task=noop):
    start = clock()
    for _ in range(n):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(task)
    return clock() - start


async def together(n, task=noop):
    start = clock()
    async with trio.open_nursery() as nursery:
        for _ in range(n):
            nursery.start_soon(task)
    return clock() - start


async def in_thread():
    await trio.to_thread.run_sync(noop_function)


async def asyncio_tasks(n):
    """(asyncio) ``n`` no-op tasks started together, each counting itself down when done."""
    loop = asyncio.get_running_loop()
    all_done = loop.create_future()
    running = [n]

    async def task():
        running[0] -= 1
        if not running[0]:
            all_done.set_result(None)

    start = clock()
    for _ in range(n):
        loop.create_task(task())
    await all_done
    return clock() - start


def bluesky_per_message(n):
    """µs per no-op message of bluesky's RunEngine, measured in a process of its own; None without bluesky."""
    code = f"""
import time
from bluesky import RunEngine
from bluesky.utils import Msg
engine = RunEngine({{}}, call_returns_result=False)
plan = [Msg("null")] * {n}
start = time.process_time()
engine(plan)
print((time.process_time() - start) / {n} * 1e6)
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if done.returncode != 0:
        if "No module named 'bluesky'" in done.stderr:
            return None
        raise RuntimeError(f"the bluesky measurement failed:\n{done.stderr}")
    return float(done.stdout)


def best_per_node(times, count):
    return min(times) / count * 1e6


def main(n, repeats=5):
    """Each measurement is the best of ``repeats``; rounds interleave seq and the baselines,
    so all see the same load on the machine."""
    variants = [(c, s) for c in CONTAINERS for s in STEPS]
    times = {key: [] for key in [*variants, *BASELINE.values(), "threads one after the other", "threads together",
                                 "asyncio tasks"]}
    traced = [("Sequence", "plain"), ("Parallel", "with_trio"), ("Parallel", "with_asyncio")]
    with tempfile.TemporaryDirectory() as directory:
        paths = {(c, s): write_script(directory, c, s, n) for c, s in variants}
        for _ in range(repeats):
            for kind, measure in (("one after the other", one_after_the_other), ("together", together)):
                gc.collect()  # as before each engine run: no run pays for the garbage of the one before
                times[kind].append(trio.run(measure, n))
                gc.collect()
                times[f"threads {kind}"].append(host.run(measure, n, in_thread))
            for variant in variants:
                times[variant].append(host.run(engine_run, paths[variant]))
            gc.collect()
            times["asyncio tasks"].append(asyncio.run(asyncio_tasks(n)))
        peaks = {variant: host.run(engine_run, paths[variant], True) / n for variant in traced}
        bytes_per_node = host.run(tree_bytes, paths[("Sequence", "plain")], n)

    print(f"seq engine benchmark, {n} no-op steps per run (best of {repeats}), µs per node")
    print(f"{'container':<10} {'steps':<13} {'seq':>7} {'bare trio':>10} {'ratio':>6} {'thread floor':>13} {'ratio':>6}")
    for container, step in variants:
        kind = BASELINE[container]
        ours = best_per_node(times[(container, step)], nodes_run(container, n))
        base = best_per_node(times[kind], n)
        line = f"{container:<10} {step:<13} {ours:>7.1f} {base:>10.1f} {ours / base:>6.2f}"
        if step == "plain":
            floor = best_per_node(times[f"threads {kind}"], n)
            line += f" {floor:>13.1f} {ours / floor:>6.2f}"
        print(line)
    print(f"memory: {bytes_per_node:.0f} bytes per node in a loaded tree; peak during a run "
          + ", ".join(f"{c} {s} {p:.0f}" for (c, s), p in peaks.items()) + " bytes per node")
    print(f"an asyncio task per node by itself, on asyncio's own loop: {best_per_node(times['asyncio tasks'], n):.1f} µs")
    bluesky = bluesky_per_message(n)
    if bluesky is None:
        print("bluesky: not installed (pip install bluesky to compare with its RunEngine)")
    else:
        print(f"bluesky RunEngine (a process of its own): {bluesky:.1f} µs per no-op message")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
