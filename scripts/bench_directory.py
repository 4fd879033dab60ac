"""Benchmark of the directory as a seqserver shows it to its clients (``locate --watch``, the GUI's
Directory tab), for Redis and for the embedded registry.

A real ``redis-server`` and a real seqserver (no component) on 127.0.0.1; components are
registered in this process, again and again. Prints, beside a baseline measured in the same run:

- a registration -> seen by one protocol client watching through the server (baseline: a
  watcher of the location service in this process, what ``seqtool locate --watch`` runs);
- the same with ``--clients N`` clients watching the one server, when the last of them saw
  it, and how many Redis subscriptions the server holds for them all.

With the embedded registry both the server's watcher and the baseline poll every 0.2 s,
each at its own moment: there the figures say "within one poll", their ratio little.

    python3 scripts/bench_directory.py [--rounds N] [--clients N]
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

import trio

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "tests" / "location"), str(ROOT / "tests" / "server")]
os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])  # the server's

from redis_harness import running_redis  # noqa: E402
from registry_harness import Registry  # noqa: E402
from seqlocation import REGISTERED, Entry  # noqa: E402
from server_harness import running_server  # noqa: E402


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


class Arrivals:
    """When each watching client first saw each name registered (time.monotonic())."""

    def __init__(self, clients: int):
        self.clients = clients
        self.seen: dict[str, list[float]] = {}
        self.complete: dict[str, trio.Event] = {}

    def expect(self, name: str) -> trio.Event:
        self.seen[name] = []
        self.complete[name] = trio.Event()
        return self.complete[name]

    def handler(self):
        async def take(messages):
            now = time.monotonic()
            for message in messages:
                if message.type == "event" and message.kind == "directory" and message.change == "registered":
                    name = message.entry["name"]
                    if name in self.seen:
                        self.seen[name].append(now)
                        if len(self.seen[name]) == self.clients:
                            self.complete[name].set()
        return take


async def measure(registry: Registry, rounds: int, clients: int) -> tuple[list[float], list[float], list[float]]:
    """(first client, last client, baseline watcher) latencies from the registration of a component."""
    arrivals = Arrivals(clients)
    first, last, direct = [], [], []
    async with running_server(env=registry.env) as server, contextlib.AsyncExitStack() as stack:
        for _ in range(clients):
            client = await stack.enter_async_context(server.connect("bench", on_events=arrivals.handler()))
            assert (await client.command("locate --watch")).ok
        async with registry.open() as directory, directory.watch() as watcher:
            for n in range(rounds):
                name = f"ESW.bench_{n}"
                everyone = arrivals.expect(name)
                started = time.monotonic()
                async with directory.registered(Entry(name, port=n + 1)):
                    with trio.fail_after(10):
                        async for change in watcher:
                            if change.kind == REGISTERED and change.entry.name == name:
                                direct.append(time.monotonic() - started)
                                break
                        await everyone.wait()
                first.append(min(arrivals.seen[name]) - started)
                last.append(max(arrivals.seen[name]) - started)
        if registry.redis is not None:
            subscriptions = registry.redis.command("CLIENT", "LIST", "TYPE", "pubsub").count("cmd=")
            print(f"  Redis subscriptions held by the server for its {clients} watching client(s): {subscriptions}")
    return first, last, direct


async def main(rounds: int, clients: int) -> None:
    with running_redis() as redis, tempfile.TemporaryDirectory() as folder:
        for registry in (Registry("redis", redis.url, redis), Registry("embedded", f"file:{folder}/registry")):
            print(f"{registry.kind} registry")
            for watching in (1, clients):
                first, last, direct = await measure(registry, rounds, watching)
                seen = first if watching == 1 else last
                who = "one client" if watching == 1 else f"the last of {watching} clients"
                print(f"  registration -> seen through the server by {who}: {ms(statistics.median(seen))} median, "
                      f"{ms(max(seen))} max ({statistics.median(seen) / statistics.median(direct):.2f}x a watcher "
                      f"of the location service in this process, {ms(statistics.median(direct))})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=30, help="registrations per measurement [default: 30]")
    parser.add_argument("--clients", type=int, default=50, help="clients watching one server [default: 50]")
    arguments = parser.parse_args()
    trio.run(main, arguments.rounds, arguments.clients)
