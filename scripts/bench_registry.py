"""Benchmark of the location service, for the embedded registry and for Redis.

Prints, for each registry, beside a baseline measured in the same run:

- a registration by another process -> seen by a watcher (baseline: a bare Redis
  keyspace notification, SET -> subscriber);
- ``kill -9`` of an owner -> its removal seen (baseline: the entries' time to live,
  the floor by design);
- resolving a name, median and p99 (baseline: a bare Redis GET round trip);
- listing 200 registered components through the API (baseline: a bare SCAN + MGET of
  as many keys) and with ``seqtool locate`` (baseline: ``seqtool locate --help``, the
  same start-up and imports without the registry).

    python3 scripts/bench_registry.py [--rounds N]
"""
from __future__ import annotations

import argparse
import contextlib
import os
import pathlib
import statistics
import sys
import tempfile
import time

import coredis
import trio

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "tests" / "location")]
os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])  # the owners'

from redis_harness import running_redis  # noqa: E402
from registry_harness import SEQTOOL, Registry, owner  # noqa: E402
from seqlocation import REGISTERED, REMOVED, TTL, Entry  # noqa: E402

LISTED = 200


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def p99(samples: list[float]) -> float:
    return sorted(samples)[min(len(samples) - 1, int(len(samples) * 0.99))]


async def next_change(watcher, kind: str, name: str):
    async for change in watcher:
        if change.kind == kind and change.entry.name == name:
            return change


async def registration_and_kill(registry: Registry, rounds: int) -> tuple[list[float], list[float]]:
    seen, removed = [], []
    async with registry.open() as directory, directory.watch() as watcher:
        for n in range(rounds):
            name = f"ESW.bench_{n}"
            async with owner(registry, name) as live:
                await next_change(watcher, REGISTERED, name)
                seen.append(time.time() - live.registered_at)
                killed = time.monotonic()
                live.kill()
                await next_change(watcher, REMOVED, name)
                removed.append(time.monotonic() - killed)
    return seen, removed


async def resolving(registry: Registry, rounds: int) -> list[float]:
    async with registry.open() as directory, directory.registered(Entry("ESW.resolved", port=1)):
        times = []
        for _ in range(rounds):
            started = time.perf_counter()
            await directory.resolve("ESW.resolved")
            times.append(time.perf_counter() - started)
    return times


async def listing(registry: Registry) -> tuple[float, float, float]:
    """(API, seqtool locate, seqtool locate --help) with LISTED components registered."""
    async with registry.open() as directory, contextlib.AsyncExitStack() as stack:
        for n in range(LISTED):
            await stack.enter_async_context(directory.registered(Entry(f"ESW.listed_{n:03}", port=n + 1)))
        started = time.perf_counter()
        assert len(await directory.entries()) == LISTED
        api = time.perf_counter() - started
        cli = await _timed_run([*SEQTOOL, "locate"], registry, lines=LISTED + 1)
        startup = await _timed_run([*SEQTOOL, "locate", "--help"], registry)
    return api, cli, startup


async def _timed_run(command: list[str], registry: Registry, lines: int | None = None) -> float:
    started = time.perf_counter()
    result = await trio.run_process(command, capture_stdout=True, env=registry.env)
    elapsed = time.perf_counter() - started
    if lines is not None:
        assert len(result.stdout.splitlines()) == lines, result.stdout[-500:]
    return elapsed


async def bare_redis(redis, rounds: int) -> tuple[list[float], list[float], float]:
    """Bare coredis: GET round trips, SET -> keyspace notification, SCAN + MGET of LISTED keys."""
    client = coredis.Redis(redis.host, redis.port, decode_responses=True)
    async with client:
        await client.set("bare:key", "x")
        gets = []
        for _ in range(rounds):
            started = time.perf_counter()
            await client.get("bare:key")
            gets.append(time.perf_counter() - started)
        notified = []
        async with client.pubsub(patterns=["__keyspace@0__:bare:*"]) as pubsub:
            await pubsub.get_message(timeout=1)  # the subscription's acknowledgement
            for n in range(20):
                started = time.perf_counter()
                await client.set(f"bare:n{n}", "x")
                while (await pubsub.get_message(timeout=5))["data"] != "set":
                    pass
                notified.append(time.perf_counter() - started)
        for n in range(LISTED):
            await client.set(f"bare:listed:{n}", "x")
        started = time.perf_counter()
        keys = [key async for key in client.scan_iter(match="bare:listed:*", count=1000)]
        await client.mget(keys)
        scan = time.perf_counter() - started
    return gets, notified, scan


async def main(rounds: int) -> None:
    with running_redis() as redis, tempfile.TemporaryDirectory() as folder:
        gets, notified, scan = await bare_redis(redis, 1000)
        print(f"baselines: Redis GET {ms(statistics.median(gets))} median, {ms(p99(gets))} p99; "
              f"keyspace notification {ms(statistics.median(notified))} median; "
              f"SCAN + MGET of {LISTED} keys {ms(scan)}; entries' time to live {TTL} s")
        registries = [Registry("embedded", f"file:{folder}/registry"), Registry("redis", redis.url, redis)]
        for registry in registries:
            seen, removed = await registration_and_kill(registry, rounds)
            resolved = await resolving(registry, 1000)
            api, cli, startup = await listing(registry)
            median_seen, median_removed = statistics.median(seen), statistics.median(removed)
            print(f"\n{registry.kind} registry")
            print(f"  registration -> seen by a watcher: {ms(median_seen)} median, {ms(max(seen))} max "
                  f"({median_seen / statistics.median(notified):.0f}x a bare keyspace notification)")
            print(f"  kill -9 -> removal seen: {ms(median_removed)} median, {ms(max(removed))} max "
                  f"({median_removed / TTL:.2f}x the time to live)")
            print(f"  resolve: {ms(statistics.median(resolved))} median, {ms(p99(resolved))} p99 "
                  f"({statistics.median(resolved) / statistics.median(gets):.2f}x, "
                  f"{p99(resolved) / p99(gets):.2f}x a bare GET)")
            print(f"  list {LISTED} components: API {ms(api)} ({api / scan:.2f}x a bare SCAN + MGET); "
                  f"seqtool locate {ms(cli)} ({cli / startup:.2f}x seqtool locate --help, {ms(startup)})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=10, help="registrations and kills per registry [default: 10]")
    trio.run(main, parser.parse_args().rounds)
