#!/usr/bin/env python3
"""Kernel process benchmarks, each beside its baseline measured in the same run.

1. Command round trip parent <-> kernel (``modules``, a command that does almost
   nothing), median and p99, beside a raw echo of the same number of bytes through
   a child process on the same kind of socketpair, and the same echo written with trio.
2. A 10,000-step run driven through the kernel process (from ``run`` until the
   parent has the reply of a ``wait`` sent right after it: every event of the
   run has been received and decoded by then), beside the same run in process
   with the engine publishing into a list.

Usage: python scripts/bench_kernel.py [--round-trips N] [--steps N]
"""
import argparse
import os
import pathlib
import socket
import statistics
import subprocess
import sys
import tempfile
import time

import trio

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ["PYTHONPATH"] = os.pathsep.join([str(REPO), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))])

import protocol  # noqa: E402
from seqkernel.engine import Engine  # noqa: E402
from seqkernel import host  # noqa: E402
from seqkernel.link import KernelLink  # noqa: E402

ECHO = """
import os, sys
fd = int(sys.argv[1])
while data := os.read(fd, 65536):
    os.write(fd, data)
"""

TRIO_ECHO = """
import socket, sys, trio
async def main():
    stream = trio.SocketStream(trio.socket.from_stdlib_socket(socket.socket(fileno=int(sys.argv[1]))))
    while data := await stream.receive_some(65536):
        await stream.send_all(data)
trio.run(main)
"""

STEPS_MODULE = """
from seq.lib.nodes import Sequence

def make(index):
    async def step():
        pass
    step.__name__ = step.__qualname__ = f"step{{index}}"
    return step

def create_sequence(*args, **kw):
    return Sequence.create(*[make(i) for i in range({steps})], name="bench", **kw)
"""


def summary(samples):
    samples = sorted(samples)
    return statistics.median(samples) * 1e3, samples[int(len(samples) * 0.99) - 1] * 1e3


async def kernel_round_trips(count):
    async with KernelLink.spawn(client="bench") as kernel:
        for _ in range(200):
            await kernel.command("modules")
        samples = []
        for _ in range(count):
            start = time.perf_counter()
            await kernel.command("modules")
            samples.append(time.perf_counter() - start)
    return samples


async def echo_round_trips(count, size, program):
    parent, child = socket.socketpair()
    with child:
        process = await trio.lowlevel.open_process(
            [sys.executable, "-c", program, str(child.fileno())], pass_fds=[child.fileno()], stdin=subprocess.DEVNULL
        )
    stream = trio.SocketStream(trio.socket.from_stdlib_socket(parent))
    payload = b"x" * size
    samples = []
    for index in range(200 + count):
        start = time.perf_counter()
        await stream.send_all(payload)
        received = 0
        while received < size:
            received += len(await stream.receive_some(65536))
        if index >= 200:
            samples.append(time.perf_counter() - start)
    await stream.aclose()
    await process.wait()
    return samples


async def run_through_kernel(directory):
    async with KernelLink.spawn(client="bench", cwd=directory) as kernel:
        await kernel.command("load bench_steps")
        start = time.perf_counter()
        await kernel.command("run")
        outcome = (await kernel.command("wait")).output  # replies follow every event of the run
        replied = time.perf_counter() - start
        seen = await kernel.wait_for(lambda m: m.type == "event" and m.kind == "run" and m.status != "running")
        consumed = time.perf_counter() - start
        return replied, consumed, len(seen), outcome


async def run_in_process(directory):
    """The same run in this process, on the kernel's arrangement (run it with seqkernel.host.run)."""
    sys.path.insert(0, str(directory))
    records = []
    async with Engine.open(publish=records.append) as engine:
        engine.load("bench_steps")
        start = time.perf_counter()
        engine.run()
        status = await engine.wait()
        elapsed = time.perf_counter() - start
    return elapsed, len(records), status


async def main(args):
    rt = await kernel_round_trips(args.round_trips)
    cmd_size = len(protocol.encode(protocol.Cmd(id=1000, line="modules")))
    echo = await echo_round_trips(args.round_trips, cmd_size, ECHO)
    trio_echo = await echo_round_trips(args.round_trips, cmd_size, TRIO_ECHO)
    print(f"command round trip parent<->kernel ({args.round_trips} commands):")
    print("  kernel 'modules'   median {:.3f} ms   p99 {:.3f} ms".format(*summary(rt)))
    print("  raw socket echo    median {:.3f} ms   p99 {:.3f} ms   (baseline: a blocking os.read/os.write loop, {} bytes)".format(*summary(echo), cmd_size))
    print("  trio socket echo   median {:.3f} ms   p99 {:.3f} ms   (baseline: the same loop in trio)".format(*summary(trio_echo)))

    with tempfile.TemporaryDirectory() as directory:
        pathlib.Path(directory, "bench_steps.py").write_text(STEPS_MODULE.format(steps=args.steps))
        piped, consumed, piped_events, piped_status = await run_through_kernel(directory)
        local, local_events, local_status = await trio.to_thread.run_sync(host.run, run_in_process, directory)
    print(f"{args.steps}-step Sequence of no-op steps:")
    print(f"  through the kernel process  {piped:.3f} s  ({piped_events} events received and decoded, {piped_status})")
    print(f"    ... and taken one by one from KernelLink.messages  {consumed:.3f} s")
    print(f"  in process (baseline)       {local:.3f} s  ({local_events} records published, {local_status})")
    print(f"  ratio                       {piped / local:.2f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--round-trips", type=int, default=2000)
    parser.add_argument("--steps", type=int, default=10_000)
    trio.run(main, parser.parse_args())
