"""A script that forks, writes binary and floods the log: memory stays bounded, every command is answered.

The figures printed (records delivered or dropped with a notice, the probe's
command round trips, peak memory) are quoted in the README; the round trip is
not asserted (no timing assertions in tests), only that every command is answered.
"""
import pathlib
import re
import time

import trio

from server_harness import chain_pids, is_run, rss

SCRIPTS = pathlib.Path(__file__).resolve().parent / "scripts"
RSS_BOUND = 300 * 1024 * 1024  # bytes, per process: a backlog of 100,000 records would not fit under it twice
RECORDS = 100_000
# How drops are counted: by the kernel (log records it could not send), the server (events a slow
# client missed) and the client library (events its reader did not take in time).
DROPPED = re.compile(r"(\d+) (?:log events|state, log and output events|events were dropped)")


async def test_a_flood_of_output_and_logs_keeps_memory_bounded_and_commands_answered(server):
    async with server.connect("operator") as operator, server.connect("prober") as prober:
        assert (await operator.command(f"load {SCRIPTS / 'flood.py'}")).ok
        shell, kernel = chain_pids(server)
        pids = {"server": server.process.pid, "shell": shell, "kernel": kernel}
        peak = {name: rss(pid) for name, pid in pids.items()}
        round_trips = []
        seen = {"log": 0, "dropped": 0, "binary": False}
        finished = trio.Event()

        def count(event):
            if event.get("kind") == "log" and "of a flood" in event["message"]:
                seen["log"] += 1
            elif event.get("kind") == "output" and "\\xff" in event["text"]:
                seen["binary"] = True
            elif event.get("kind") == "notice":
                seen["dropped"] += sum(int(n) for n in DROPPED.findall(event["message"]))

        async def follow():
            events = operator.events()
            async for event in events:
                count(event)
                if is_run("finished")(event):
                    break
            # A drop notice may come after the end of the run: what came before a reply is here by then.
            assert (await operator.command("modules")).ok
            while True:
                try:
                    count(events.receive_nowait())
                except trio.WouldBlock:
                    break
            finished.set()

        async def probe():
            while not finished.is_set():
                started = time.perf_counter()
                with trio.fail_after(60):
                    assert (await prober.command("modules")).ok
                round_trips.append(time.perf_counter() - started)
                for name, pid in pids.items():
                    peak[name] = max(peak[name], rss(pid))

        with trio.fail_after(120):
            async with trio.open_nursery() as nursery:
                nursery.start_soon(follow)
                nursery.start_soon(probe)
                assert (await operator.command("run")).ok

    assert seen["binary"], "the child's binary output arrived as escaped text"
    assert seen["log"] > 0
    assert seen["log"] + seen["dropped"] >= RECORDS, f"records lost without a notice counting them: {seen}"
    for name, peak_rss in peak.items():
        assert peak_rss < RSS_BOUND, f"{name} grew to {peak_rss / 2**20:.0f} MiB"
    round_trips.sort()
    print(f"\nflood: {RECORDS} log records; {seen['log']} delivered, {seen['dropped']} dropped with a notice; "
          f"{len(round_trips)} probe round trips, median {round_trips[len(round_trips) // 2] * 1000:.1f} ms, "
          f"max {round_trips[-1] * 1000:.1f} ms; peak RSS "
          + ", ".join(f"{name} {value / 2**20:.0f} MiB" for name, value in peak.items()))
