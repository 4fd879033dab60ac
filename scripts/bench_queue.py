#!/usr/bin/env python3
"""How fast an edit of the queue reaches every client, beside a ``nodes`` round trip in the same run.

A real server chain (client → seqserver → seqshell → seqkernel) holds a queue of
OBs of 10 templates each (100 OBs: about 9,300 nodes), with 20 clients connected.
Each client is a light reader in this process (plain msgpack over TCP) that keeps
the tree as every client does, a ``protocol.Snapshot`` fed each event. Measured:

- a ``move`` of an OB (from one end of the queue to the other, and back), from
  the command being sent to every client holding the new tree (and the sender
  its reply);
- the same for a ``requeue`` of a template (a fresh copy inserted in its OB);
- beside them, in the same run: a ``nodes`` round trip (the listing of every node,
  which grows with the tree), and a ``reset``, whose tree event carries the whole
  snapshot (what an edit would cost if it sent the tree);
- the same with 10 and 1000 OBs, to show how each grows with the tree.

Usage: python scripts/bench_queue.py [--edits N] [--sizes 10,100,1000]
"""
from __future__ import annotations

import argparse
import json
import pathlib
import statistics
import sys
import tempfile
import time
from functools import partial

import msgpack
import trio

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "server")]

import protocol  # noqa: E402
from server_harness import hello, running_server  # noqa: E402

CLIENTS = 20
TEMPLATES = 10
GOAL_MS = 50  # an edit held by every client, for a queue of 100 OBs
TEMPLATE = """
from seq.lib.nodes import Sequence

async def point():
    pass

async def expose():
    pass

async def read_out():
    pass

def create_sequence(*args, **kw):
    return Sequence.create(point, expose, read_out, **kw)
"""


def quantiles(samples: list[float]) -> tuple[float, float]:
    """(median, p99) in milliseconds."""
    ordered = sorted(samples)
    return statistics.median(ordered) * 1e3, ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1e3


def write_night(directory: pathlib.Path, obs: int) -> pathlib.Path:
    """A session file of ``obs`` OBs of TEMPLATES templates each (one load, one tree event)."""
    (directory / "bench_template.py").write_text(TEMPLATE)
    templates = [{"templateName": "bench_template",
                  "parameters": [{"name": "exptime", "type": "number", "value": step}]} for step in range(TEMPLATES)]
    scripts = [{"ob": {"obsDescription": {"name": f"OB {number}"}, "templates": templates}} for number in range(obs)]
    path = directory / f"night_{obs}.json"
    path.write_text(json.dumps({"seq_session": 1, "scripts": scripts, "flags": []}))
    return path


class Holder:
    """A client that holds the tree: each event applied to its snapshot, as seqclient does."""

    def __init__(self, stream: trio.SocketStream) -> None:
        self.stream = stream
        self.snapshot: protocol.Snapshot | None = None
        self.trees = 0  # tree events applied
        self.tree_bytes = 0  # the encoded size of the last one
        self.replies: dict[int, dict] = {}
        self.changed = trio.Event()
        self.ids = iter(range(1, 1 << 30))

    @classmethod
    async def connect(cls, server, task_status=trio.TASK_STATUS_IGNORED) -> None:
        stream = await trio.open_tcp_stream(server.host, server.port)
        await stream.send_all(hello("holder"))
        holder = cls(stream)
        task_status.started(holder)
        await holder.read()

    async def read(self) -> None:
        unpacker, read = msgpack.Unpacker(), 0  # (read: where the next message starts, in the stream)
        async with self.stream:
            async for data in self.stream:
                unpacker.feed(data)
                for message in unpacker:
                    self.take(message, unpacker.tell() - read)
                    read = unpacker.tell()
                self.changed.set()
                self.changed = trio.Event()

    def take(self, message: dict, size: int) -> None:
        kind = message.get("type")
        if kind == "welcome":
            self.snapshot = protocol.Snapshot(message["snapshot"])
        elif kind == "event":
            self.snapshot.apply(message)
            if message["kind"] == "tree":
                self.trees += 1
                self.tree_bytes = size
        elif kind == "reply":
            self.replies[message["id"]] = message

    async def until(self, done) -> None:
        while not done():
            await self.changed.wait()

    async def command(self, line: str) -> int:
        request_id = next(self.ids)
        await self.stream.send_all(msgpack.packb({"type": "cmd", "id": request_id, "line": line}))
        return request_id

    async def reply(self, request_id: int) -> dict:
        await self.until(lambda: request_id in self.replies)
        reply = self.replies.pop(request_id)
        assert reply["ok"], reply.get("error")
        return reply


async def edit_times(holders: list[Holder], lines) -> tuple[list[float], int]:
    """For each line: from sending it (by the first holder) to every holder having applied one more tree
    event, and the sender its reply. Returns the times and the last tree event's size in bytes."""
    sender, samples = holders[0], []
    for line in lines:
        targets = [holder.trees + 1 for holder in holders]
        start = time.perf_counter()
        request_id = await sender.command(line)
        for holder, target in zip(holders, targets):
            await holder.until(lambda holder=holder, target=target: holder.trees >= target)
        await sender.reply(request_id)
        samples.append(time.perf_counter() - start)
    return samples, holders[0].tree_bytes


async def round_trips(holder: Holder, line: str, count: int) -> list[float]:
    samples = []
    for _ in range(count):
        start = time.perf_counter()
        await holder.reply(await holder.command(line))
        samples.append(time.perf_counter() - start)
    return samples


async def measure(directory: pathlib.Path, obs: int, edits: int) -> dict:
    session = write_night(directory, obs)
    async with running_server("--log-level", "WARN", cwd=directory) as server:
        async with server.connect("loader") as loader:
            reply = await loader.command(f"session {session}")
            assert reply.ok, reply.error
            snapshot = (await loader.command("snapshot")).data
        middle = snapshot["scripts"][obs // 2]
        template = next(child["sn"] for child in middle["children"] if child["type"] == "T")
        nodes = sum(1 for _ in protocol.walk_nodes(snapshot["scripts"]))
        async with trio.open_nursery() as nursery:
            holders = [await nursery.start(Holder.connect, server) for _ in range(CLIENTS)]
            for holder in holders:
                await holder.until(lambda holder=holder: holder.snapshot is not None)
            moves = [f"move {middle['sn']} --{'first' if turn % 2 == 0 else 'last'}" for turn in range(edits)]
            move, move_bytes = await edit_times(holders, moves)
            requeue, requeue_bytes = await edit_times(holders, [f"requeue {template}"] * edits)
            listing = await round_trips(holders[0], "nodes", edits)
            reset, reset_bytes = await edit_times(holders, ["reset"] * max(3, edits // 10))
            truth = holders[0].snapshot.current()
            assert all(holder.snapshot.current() == truth for holder in holders), "every client holds the same tree"
            nursery.cancel_scope.cancel()  # (each holder's connection closes as its task ends)
    return {"obs": obs, "nodes": nodes, "move": quantiles(move), "move_bytes": move_bytes,
            "requeue": quantiles(requeue), "requeue_bytes": requeue_bytes, "nodes_rt": quantiles(listing),
            "reset": quantiles(reset), "reset_bytes": reset_bytes}


async def main(edits: int, sizes: list[int]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        results = [await measure(pathlib.Path(folder), obs, edits) for obs in sizes]
    print(f"{CLIENTS} clients, OBs of {TEMPLATES} templates; times in ms, median / p99; "
          "an edit: sent -> every client holds the new tree")
    print(f"{'OBs':>5}{'nodes':>8} | {'move':>15}{'requeue':>17} | {'nodes round trip':>18}{'reset (snapshot)':>20}"
          f" | {'move/nodes':>10}  event bytes: move, requeue, reset")
    for r in results:
        ratio = r["move"][0] / r["nodes_rt"][0]
        print(f"{r['obs']:>5}{r['nodes']:>8} | {r['move'][0]:>7.2f} /{r['move'][1]:>6.2f}"
              f"{r['requeue'][0]:>9.2f} /{r['requeue'][1]:>6.2f} | {r['nodes_rt'][0]:>9.2f} /{r['nodes_rt'][1]:>7.2f}"
              f"{r['reset'][0]:>11.1f} /{r['reset'][1]:>7.1f} | {ratio:>10.3f}  "
              f"{r['move_bytes']}, {r['requeue_bytes']}, {r['reset_bytes']}")
    for r in results:
        worst = max(r["move"][0], r["requeue"][0])
        print(f"{r['obs']} OBs: the slower edit's median is {worst:.1f} ms, {worst / GOAL_MS:.2f} of the "
              f"{GOAL_MS} ms goal; a move costs {r['move'][0] / results[0]['move'][0]:.2f}x the move in "
              f"{results[0]['obs']} OBs for a tree {r['nodes'] / results[0]['nodes']:.0f}x as large")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=50)
    parser.add_argument("--sizes", default="10,100,1000", help="queue lengths in OBs, comma separated")
    args = parser.parse_args()
    trio.run(partial(main, args.edits, [int(size) for size in args.sizes.split(",")]))
