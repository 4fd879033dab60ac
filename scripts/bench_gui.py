#!/usr/bin/env python3
"""How the web GUI keeps up with a large run, each figure beside an idle page's, measured in the same run.

The GUI page, in headless Chromium, watches a run of 10,000 steps (tests/gui/scripts/ten_thousand.py:
10,303 nodes, 45,000 events) through real server, shell and kernel processes. For that page:
- the time from the kernel's end of the run (its `run` event's time) to the page showing it (the
  frame after the status bar said so);
- its longest main-thread task from loading the script to the run's end, from a trace of the renderer
  (every task, not only those over 50 ms), and how many the Long Tasks API counted over 50 ms;
- its memory at the end: the resident memory of the browser's renderer processes, the main thread's
  JavaScript heap after a garbage collection, and the elements in its document.
The baseline is the same page idle: on a server of its own, it watches a run of one step (for the
time to show an end), then sits as long as the large run lasted (for its tasks), and its memory is
taken the same way. A protocol client (Python, over TCP) watching the large run gives the chain's
own share of the delay. Rounds alternate the two pages; the figures are each round's.

Usage: python scripts/bench_gui.py [--rounds N]
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import pathlib
import statistics
import sys
import time
from dataclasses import dataclass

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "gui"), str(ROOT / "tests" / "server")]

from gui_support import (CHROMIUM, CHROMIUM_ARGS, LONG_TASK_PROBE, SCRIPTS, VIEWPORT, WATCH_STATUS,  # noqa: E402
                         Observer, ServerProcess, shown_at)
from playwright.sync_api import expect, sync_playwright  # noqa: E402
from server_harness import children_of, rss  # noqa: E402

LARGE = SCRIPTS / "ten_thousand.py"
ONE_STEP = SCRIPTS / "one_step.py"
TRACE_CATEGORIES = ["toplevel"]
TASK_EVENTS = {"ThreadControllerImpl::RunTask", "RunTask"}  # one task of a thread, as Chromium traces it
WAIT_MS = 120_000


@dataclass
class Figures:
    end_shown: float  # seconds after the kernel's end
    client_saw_end: float  # the protocol client, seconds after the kernel's end
    longest_task: float  # ms, from the trace
    long_tasks: int  # over 50 ms, as the Long Tasks API counted them
    renderer_rss: int  # bytes
    js_heap: int  # bytes, the main thread's, after a garbage collection
    elements: int
    watched: float  # seconds from loading the script to the end shown


def descendants(pid: int) -> list[int]:
    found, pending = [], [pid]
    while pending:
        children = children_of(pending.pop())
        found += children
        pending += children
    return found


def renderer_rss() -> int:
    """The resident memory of the renderer processes of the browser this script runs (one at a time)."""
    total = 0
    for pid in descendants(os.getpid()):
        try:
            if b"--type=renderer" in pathlib.Path(f"/proc/{pid}/cmdline").read_bytes():
                total += rss(pid)
        except OSError:
            pass
    return total


def longest_task(trace: bytes, since_us: float) -> float:
    """The longest task (ms) of the page's main thread in the trace, from `since_us` (trace clock) on.
    The page's renderer is the busiest: its main thread ran the most tasks."""
    events = json.loads(trace)
    events = events["traceEvents"] if isinstance(events, dict) else events
    mains = {(e["pid"], e["tid"]) for e in events if e.get("ph") == "M" and e.get("name") == "thread_name"
             and e["args"]["name"] == "CrRendererMain"}
    tasks = collections.defaultdict(list)
    for event in events:
        thread = (event.get("pid"), event.get("tid"))
        if event.get("name") in TASK_EVENTS and event.get("ph") == "X" and thread in mains and event["ts"] >= since_us:
            tasks[thread].append(event["dur"])
    busiest = max(tasks.values(), key=len, default=[])
    return max(busiest, default=0) / 1000


def watch(playwright, script: pathlib.Path, sit_for: float = 0.0) -> Figures:
    """A fresh server and browser; the GUI page loads `script` and watches its run (then sits `sit_for` s)."""
    server = ServerProcess("--log-level", "WARN")
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    observer = Observer(server)
    try:
        context = browser.new_context(viewport=VIEWPORT)
        context.add_init_script(LONG_TASK_PROBE)
        page = context.new_page()
        page.goto(server.signed_url)
        expect(page.locator("#connection-state")).to_have_text("Connected", timeout=WAIT_MS)
        cdp = context.new_cdp_session(page)
        cdp.send("Performance.enable")
        browser.start_tracing(page=page, categories=TRACE_CATEGORIES)
        page.evaluate("window.seqLongTasks = []")
        started = time.time()
        trace_start = time.monotonic() * 1e6  # the trace's clock: the monotonic clock, in microseconds
        page.fill("#command-line", f"load {script}")
        page.press("#command-line", "Enter")
        expect(page.locator("#last-reply")).to_contain_text("loaded", timeout=WAIT_MS)
        page.evaluate(WATCH_STATUS, "run finished")
        since = observer.mark()
        page.click("[data-command=run]")
        expect(page.locator("#connection-state")).to_have_text("Connected, run finished", timeout=WAIT_MS)
        end, client_saw_it = observer.run_ended(since=since)
        shown = shown_at(page)
        if sit_for:
            page.wait_for_timeout(sit_for * 1000)
        trace = browser.stop_tracing()
        long_tasks = len(page.evaluate("window.seqLongTasks"))
        cdp.send("HeapProfiler.collectGarbage")
        metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
        return Figures(
            end_shown=shown - end["ts"], client_saw_end=client_saw_it - end["ts"],
            longest_task=longest_task(trace, trace_start), long_tasks=long_tasks,
            renderer_rss=renderer_rss(), js_heap=int(metrics["JSHeapUsedSize"]),
            elements=page.evaluate("document.getElementsByTagName('*').length"), watched=shown - started)
    finally:
        observer.close()
        browser.close()
        server.stop()


def main(rounds: int) -> None:
    large, idle = [], []
    with sync_playwright() as playwright:
        for _ in range(rounds):
            large.append(watch(playwright, LARGE))
            idle.append(watch(playwright, ONE_STEP, sit_for=large[-1].watched))

    def span(values, digits):
        low, high = min(values), max(values)
        return f"{low:.{digits}f}" if low == high else f"{low:.{digits}f} to {high:.{digits}f}"

    def row(label, value, scale=1.0, digits=2, ratio=True):
        """Our figures (each round's), the idle page's, and their ratios."""
        ours = [value(f) * scale for f in large]
        base = [value(f) * scale for f in idle]
        ratios = [o / b for o, b in zip(ours, base)] if ratio and all(base) else []
        told = f"{span(ratios, 1)}×" if ratios else ""
        print(f"{label:44}{span(ours, digits):>18}{span(base, digits):>18}   {told}")

    print(f"GUI page, {rounds} round(s); machine load {os.getloadavg()[0]:.1f} at the end\n")
    print(f"{'':44}{'10,000-step run':>18}{'idle page':>18}   ratio")
    row("end shown after the kernel's end (s)", lambda f: f.end_shown, digits=3)
    row("  a protocol client saw it after (s)", lambda f: f.client_saw_end, digits=3)
    row("  the page's own share (s)", lambda f: f.end_shown - f.client_saw_end, digits=3, ratio=False)
    row("longest main-thread task, traced (ms)", lambda f: f.longest_task, digits=1)
    row("tasks over 50 ms (Long Tasks API)", lambda f: f.long_tasks, digits=0, ratio=False)
    row("renderer resident memory (MiB)", lambda f: f.renderer_rss, scale=2 ** -20, digits=1)
    row("main thread's JS heap (MiB)", lambda f: f.js_heap, scale=2 ** -20, digits=2)
    row("elements in the document", lambda f: f.elements, digits=0)
    print(f"\nmedian end shown: {statistics.median(f.end_shown for f in large):.3f} s (large run), "
          f"{statistics.median(f.end_shown for f in idle):.3f} s (idle page)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    main(parser.parse_args().rounds)
