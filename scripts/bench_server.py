#!/usr/bin/env python3
"""How fast the server chain is, each figure beside a baseline measured in the same run.

- command round trip client → server → shell → kernel, beside a loopback TCP echo;
- a 10,000-step run through the server with 1 and with 20 observing clients,
  beside the same run in process (the engine alone);
- event latency kernel → client (the event's timestamp to its arrival) with 20 clients;
- from a client's ``abort`` of a running step to that client seeing it cancelled.

Usage: python scripts/bench_server.py [--round-trips N] [--aborts N]
"""
from __future__ import annotations

import argparse
import pathlib
import statistics
import sys
import time

import trio

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "server")]

from server_harness import SCRIPTS, is_run, is_state, next_event, running_server  # noqa: E402

MANY_STEPS = SCRIPTS / "many_steps.py"
EXPOSURE = SCRIPTS / "exposure.py"


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
        listeners = await nursery.start(trio.serve_tcp, echo, 0, host="127.0.0.1")
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
    """The 10,000-step run by the engine in this process (what the kernel does, without the chain)."""
    from seqkernel.engine import Engine

    async with Engine.open(publish=lambda record: None) as engine:
        engine.load(str(MANY_STEPS))
        start = time.perf_counter()
        engine.run()
        outcome = await engine.wait(None)
        elapsed = time.perf_counter() - start
        assert outcome == "finished", outcome
    return elapsed


async def run_through_server(server, observers: int) -> tuple[float, list[float]]:
    """Time from ``run`` to every client seeing it finish; with the latencies of the state events."""
    latencies: list[float] = []
    async with server.connect("runner") as runner:
        reply = await runner.command(f"load {MANY_STEPS}")
        assert reply.ok, reply.error
        finished = 0
        all_finished = trio.Event()

        async def observe(conn):
            nonlocal finished
            async for event in conn.events():
                if event.get("kind") == "state":
                    latencies.append(time.time() - event["ts"])
                elif event.get("kind") == "run" and event["status"] == "finished":
                    break
            finished += 1
            if finished == observers:
                all_finished.set()

        async with trio.open_nursery() as nursery:
            conns = [await nursery.start(_open, server, f"observer{i}") for i in range(observers)]
            for conn in conns:
                nursery.start_soon(observe, conn)
            start = time.perf_counter()
            assert (await runner.command("run")).ok
            with trio.fail_after(600):
                await all_finished.wait()
            elapsed = time.perf_counter() - start
            nursery.cancel_scope.cancel()
        assert (await runner.command("clear")).ok
    return elapsed, latencies


async def _open(server, name, *, task_status=trio.TASK_STATUS_IGNORED):
    async with server.connect(name) as conn:
        task_status.started(conn)
        await trio.sleep_forever()


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


async def main(round_trips: int, aborts: int) -> None:
    echo = quantiles(await echo_round_trips(round_trips))
    in_process = await run_in_process()
    async with running_server("--log-level", "WARN") as server:
        command = quantiles(await command_round_trips(server, round_trips))
        one, _ = await run_through_server(server, 1)
        twenty, latencies = await run_through_server(server, 20)
        latency = quantiles(latencies)
        abort = quantiles(await abort_times(server, aborts))

    print(f"{'':46}{'seq':>14}{'baseline':>16}")
    print(f"{'command round trip, median / p99 (ms)':46}{command[0]:>7.3f} /{command[1]:>6.3f}"
          f"{echo[0]:>9.3f} /{echo[1]:>6.3f}  (loopback TCP echo)")
    print(f"{'10,000-step run, 1 client (s)':46}{one:>14.3f}{in_process:>16.3f}  (in process)")
    print(f"{'10,000-step run, 20 clients (s)':46}{twenty:>14.3f}{in_process:>16.3f}  (in process)")
    print(f"{'event latency kernel→client, 20 clients (ms)':46}{latency[0]:>7.2f} /{latency[1]:>6.2f}"
          "   p50 / p99")
    print(f"{'abort → client sees step cancelled (ms)':46}{abort[0]:>7.2f} /{abort[1]:>6.2f}"
          "   median / p99")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--round-trips", type=int, default=2000)
    parser.add_argument("--aborts", type=int, default=20)
    args = parser.parse_args()
    trio.run(main, args.round_trips, args.aborts)
