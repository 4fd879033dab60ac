#!/usr/bin/env python3
"""How fast the server chain is, each figure beside a baseline measured in the same run.

- command round trip client → server → shell → kernel, beside a loopback TCP echo;
- a 10,000-step run through the server with 1 and with 20 observing clients,
  beside the same run in process (the engine alone), and beside the CPU time
  msgpack alone takes to pack and unpack that run's events once per hop (with
  one client: five runs, each beside the floor measured right after it);
- event latency kernel → client (the event's timestamp to its arrival) with 20 clients,
  for steps that take 5 ms each and for the 10,000-step flood of no-op steps;
- from a client's ``abort`` of a running step to that client seeing it cancelled.

The round trip and the run are also measured through ``seqshell --pipe``
driven directly (the chain without the server), which shows the server's own share.

Usage: python scripts/bench_server.py [--round-trips N] [--aborts N]
"""
from __future__ import annotations

import argparse
import contextlib
import gc
import io
import pathlib
import statistics
import subprocess
import sys
import time
from functools import partial
from types import SimpleNamespace

import msgpack
import trio

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "server")]

from server_harness import SCRIPTS, hello, is_run, is_state, next_event, running_server  # noqa: E402

MANY_STEPS = SCRIPTS / "many_steps.py"
EXPOSURE = SCRIPTS / "exposure.py"
PACED = SCRIPTS / "paced_steps.py"
ONE_CLIENT_RUNS = 5  # runs with one client, whose medians are shown


def quantiles(samples: list[float]) -> tuple[float, float]:
    """(median, p99) in milliseconds."""
    ordered = sorted(samples)
    return statistics.median(ordered) * 1e3, ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1e3


async def echo_round_trips(count: int) -> list[float]:
    """Round trips of a small message to a trio echo server on loopback: the floor for any TCP hop."""
    async def echo(stream):
        async for data in stream:
            await stream.send_all(data)

    async with trio.open_nursery() as nursery:
        listeners = await nursery.start(partial(trio.serve_tcp, echo, 0, host="127.0.0.1"))
        port = listeners[0].socket.getsockname()[1]
        stream = await trio.open_tcp_stream("127.0.0.1", port)
        samples = []
        message = b"\x83\xa4type\xa3cmd\xa2id\x01\xa4line\xa7modules"
        for _ in range(count):
            start = time.perf_counter()
            await stream.send_all(message)
            await stream.receive_some()
            samples.append(time.perf_counter() - start)
        await stream.aclose()
        nursery.cancel_scope.cancel()
    return samples


class ShellPipe:
    """``seqshell --pipe`` driven directly, as the server drives it: the chain without the server."""

    def __init__(self, process: trio.Process) -> None:
        self.process = process
        self.unpacker = msgpack.Unpacker()
        self.ids = iter(range(1, 1 << 30))

    @classmethod
    @contextlib.asynccontextmanager
    async def open(cls):
        process = await trio.lowlevel.open_process([sys.executable, "-m", "seqshell", "--pipe"],
                                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        shell = cls(process)
        await shell.send({"type": "hello", "version": 1, "client": "bench"})
        await shell.until(lambda m: m["type"] == "welcome")
        yield shell
        await process.stdin.aclose()  # the shell ends with its input, and its kernel with it
        await process.wait()

    async def send(self, message: dict) -> None:
        await self.process.stdin.send_all(msgpack.packb(message))

    async def until(self, predicate) -> dict:
        while True:
            for message in self.unpacker:
                if predicate(message):
                    return message
            self.unpacker.feed(await self.process.stdout.receive_some(65536))

    async def command(self, line: str) -> dict:
        request_id = next(self.ids)
        await self.send({"type": "cmd", "id": request_id, "line": line})
        return await self.until(lambda m: m["type"] == "reply" and m["id"] == request_id)


async def shell_pipe_figures(count: int) -> tuple[list[float], float]:
    """Round trips and the 10,000-step run through the shell's pipe, without the server."""
    async with ShellPipe.open() as shell:
        samples = []
        for _ in range(count):
            start = time.perf_counter()
            assert (await shell.command("modules"))["ok"]
            samples.append(time.perf_counter() - start)
        assert (await shell.command(f"load {MANY_STEPS}"))["ok"]
        start = time.perf_counter()
        assert (await shell.command("run"))["ok"]
        await shell.until(lambda m: m.get("kind") == "run" and m["status"] == "finished")
        return samples, time.perf_counter() - start


async def command_round_trips(server, count: int) -> list[float]:
    async with server.connect("bench") as conn:
        await conn.command("modules")
        samples = []
        for _ in range(count):
            start = time.perf_counter()
            reply = await conn.command("modules")
            samples.append(time.perf_counter() - start)
            assert reply.ok, reply.error
    return samples


async def run_in_process() -> float:
    """The 10,000-step run by the engine in this process (what the kernel does, without the chain),
    on the kernel's arrangement: trio the guest of an asyncio loop (run it with seqkernel.host.run)."""
    from seqkernel.engine import Engine

    async with Engine.open(publish=lambda record: None) as engine:
        engine.load(str(MANY_STEPS))
        start = time.perf_counter()
        engine.run()
        outcome = await engine.wait(None)
        elapsed = time.perf_counter() - start
        assert outcome == "finished", outcome
    return elapsed


async def observe(server, *, keep_bytes=False, task_status=trio.TASK_STATUS_IGNORED) -> None:
    """A light observing client: plain msgpack, no validation, so that the bench measures the server.

    Reports (via task_status) an object whose ``finished`` event is set when
    it sees the run finish, with the kernel → client latencies of state events
    and, with ``keep_bytes``, every byte it received.
    """
    stream = await trio.open_tcp_stream(server.host, server.port)
    await stream.send_all(hello("observer"))
    unpacker = msgpack.Unpacker()
    observer = SimpleNamespace(finished=trio.Event(), latencies=[], received=bytearray(), stream=stream)
    async with stream:
        task_status.started(observer)
        async for data in stream:
            if keep_bytes:
                observer.received += data
            unpacker.feed(data)
            now = time.time()
            for message in unpacker:
                kind = message.get("kind")
                if kind == "state":
                    observer.latencies.append(now - message["ts"])
                elif kind == "run" and message["status"] == "finished":
                    observer.finished.set()


async def run_through_server(server, observers: int) -> tuple[float, list[float], bytes]:
    """Time from ``run`` (sent by the first observer: the observers are the only clients) to every
    observer seeing it finish; with the latencies of the state events and what the first observer received."""
    async with trio.open_nursery() as nursery:
        watching = [await nursery.start(partial(observe, server, keep_bytes=not index)) for index in range(observers)]
        async with server.connect("runner") as runner:
            assert (await runner.command("modules")).ok  # every observer has its welcome by now
        start = time.perf_counter()
        await watching[0].stream.send_all(msgpack.packb({"type": "cmd", "id": 1, "line": "run"}))
        with trio.fail_after(600):
            for observer in watching:
                await observer.finished.wait()
        elapsed = time.perf_counter() - start
        nursery.cancel_scope.cancel()
    return elapsed, [latency for observer in watching for latency in observer.latencies], bytes(watching[0].received)


def run_events(received: bytes) -> list[dict]:
    """The events among what a client received (not its welcome, which holds the whole tree)."""
    return [message for message in msgpack.Unpacker(io.BytesIO(received)) if message.get("type") == "event"]


def msgpack_floor(events: list[dict], readers: int) -> float:
    """CPU seconds msgpack alone needs to carry ``events`` through the chain: packed once
    (by the kernel), unpacked by the shell, the server and each of ``readers`` clients.
    Whatever the chain does besides comes on top of this. Measured with the garbage collector
    off, as timeit does: its passes over this process's other objects are no part of msgpack's cost."""
    gc.disable()
    try:
        start = time.process_time()
        packed = b"".join(msgpack.packb(event) for event in events)
        packing = time.process_time() - start
        start = time.process_time()
        for _ in msgpack.Unpacker(io.BytesIO(packed)):
            pass
        unpacking = time.process_time() - start
    finally:
        gc.enable()
    return packing + unpacking * (2 + readers)


async def one_client_runs(server, count: int) -> tuple[float, float, float, int]:
    """The run with one client ``count`` times, each followed at once by its msgpack floor (the
    machine's speed varies from one moment to the next): the medians of the run, of the floor
    and of their ratio, and how many events a run sent."""
    runs, floors, ratios = [], [], []
    for _ in range(count):
        elapsed, _, received = await run_through_server(server, 1)
        events = run_events(received)
        floors.append(msgpack_floor(events, 1))
        runs.append(elapsed)
        ratios.append(elapsed / floors[-1])
    return statistics.median(runs), statistics.median(floors), statistics.median(ratios), len(events)


async def abort_times(server, count: int) -> list[float]:
    samples = []
    async with server.connect("bench") as conn:
        assert (await conn.command(f"load {EXPOSURE}")).ok
        for _ in range(count):
            assert (await conn.command("run")).ok
            await next_event(conn.events(), is_state("expose", "RUNNING"))
            start = time.perf_counter()
            await conn.command("abort")
            await next_event(conn.events(), lambda e: e.get("kind") == "state" and e["name"] == "expose"
                             and e["state"].startswith("CANCELLED"))
            samples.append(time.perf_counter() - start)
            await next_event(conn.events(), is_run("aborted"))
            assert (await conn.command("reset")).ok
    return samples


async def main(round_trips: int, aborts: int, in_process: float) -> None:
    echo = quantiles(await echo_round_trips(round_trips))
    pipe_samples, pipe_run = await shell_pipe_figures(round_trips)
    pipe = quantiles(pipe_samples)
    async with running_server("--log-level", "WARN") as server:
        command = quantiles(await command_round_trips(server, round_trips))
        async with server.connect("loader") as loader:
            reply = await loader.command(f"load {MANY_STEPS}")
            assert reply.ok, reply.error
        one, one_floor, one_ratio, one_events = await one_client_runs(server, ONE_CLIENT_RUNS)
        twenty, latencies, received = await run_through_server(server, 20)
        flood_latency = quantiles(latencies)
        async with server.connect("loader") as loader:
            assert (await loader.command("init")).ok  # a fresh kernel, with nothing loaded
            assert (await loader.command(f"load {PACED}")).ok
        _, latencies, _ = await run_through_server(server, 20)
        paced_latency = quantiles(latencies)
        async with server.connect("loader") as loader:
            assert (await loader.command("init")).ok  # a fresh kernel, with nothing loaded
        abort = quantiles(await abort_times(server, aborts))

    print(f"{'':46}{'seq':>14}{'baseline':>16}")
    print(f"{'command round trip, median / p99 (ms)':46}{command[0]:>7.3f} /{command[1]:>6.3f}"
          f"{echo[0]:>9.3f} /{echo[1]:>6.3f}  (loopback TCP echo)")
    print(f"{'':46}{'':14}{pipe[0]:>9.3f} /{pipe[1]:>6.3f}  (shell pipe, no server)")
    print(f"{f'10,000-step run, 1 client, median of {ONE_CLIENT_RUNS} (s)':46}{one:>14.3f}{in_process:>16.3f}"
          "  (in process)")
    print(f"{'':46}{'':14}{pipe_run:>16.3f}  (shell pipe, no server)")
    print(f"{'':46}{'':14}{one_floor:>16.3f}  (msgpack alone, CPU s, {one_events} events: "
          f"the run {one_ratio:.1f}× it)")
    events = run_events(received)
    print(f"{'10,000-step run, 20 clients (s)':46}{twenty:>14.3f}{in_process:>16.3f}  (in process)")
    print(f"{'':46}{'':14}{msgpack_floor(events, 20):>16.3f}  (msgpack alone, CPU s)")
    print(f"{'event latency kernel→client, 20 clients (ms)':46}{paced_latency[0]:>7.2f} /{paced_latency[1]:>6.2f}"
          "   p50 / p99, steps of 5 ms")
    print(f"{'':46}{flood_latency[0]:>7.0f} /{flood_latency[1]:>6.0f}   p50 / p99, the 10,000-step flood")
    print(f"{'abort → client sees step cancelled (ms)':46}{abort[0]:>7.2f} /{abort[1]:>6.2f}"
          "   median / p99")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--round-trips", type=int, default=2000)
    parser.add_argument("--aborts", type=int, default=20)
    args = parser.parse_args()
    from seqkernel import host

    trio.run(main, args.round_trips, args.aborts, host.run(run_in_process))
