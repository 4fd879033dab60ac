#!/usr/bin/env python3
"""How fast the web GUI's Queue tab shows an edit of the queue, beside a protocol client in the same run.

A real server chain (client → seqserver → seqshell → seqkernel) holds a queue of OBs of 10
templates each (see scripts/bench_queue.py); the GUI page, in headless Chromium, shows its Queue
tab. A protocol client (Python, over TCP) moves the last OB to the front and back again; measured,
for each edit, from sending it to:

- the protocol client having the edit's ``tree`` event (the baseline: the chain's own share);
- the page's Queue tab showing the edit: the moved OB at the top, then the first OB back there
  (looked at every 5 ms).

Usage: python scripts/bench_queue_page.py [--edits N] [--sizes 10,100,1000]
"""
from __future__ import annotations

import argparse
import pathlib
import re
import statistics
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "scripts"), str(ROOT / "tests" / "gui"), str(ROOT / "tests" / "server")]

from bench_queue import write_night  # noqa: E402
from gui_support import CHROMIUM, CHROMIUM_ARGS, VIEWPORT, Observer, ServerProcess  # noqa: E402
from playwright.sync_api import expect, sync_playwright  # noqa: E402

QUEUE_ROWS = "#tab-queue tbody tr.item"


def edit_times(playwright, obs: int, edits: int) -> tuple[list[float], list[float]]:
    """(to the protocol client, to the page) for each of ``edits`` moves in a queue of ``obs`` OBs."""
    directory = pathlib.Path(tempfile.mkdtemp())
    night = write_night(directory, obs)
    server = ServerProcess(cwd=directory)
    observer = Observer(server)
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    try:
        assert observer.connection.command(f"session {night}", timeout=600).ok
        # (the page's content security policy allows no evaluated code: waiting on a function needs it)
        page = browser.new_context(viewport=VIEWPORT, bypass_csp=True).new_page()
        page.goto(server.signed_url)
        expect(page.locator("#connection-state")).to_have_text(re.compile("^Connected"), timeout=60000)
        page.click("[data-tab=queue]")
        sns = [str(item["sn"]) for item in observer.connection.command("snapshot").data["scripts"]]
        expect(page.locator(QUEUE_ROWS).first).to_have_attribute("data-sn", sns[0], timeout=60000)
        moved = sns[-1]
        to_client, to_page = [], []
        for edit in range(edits):
            where, anchor = ("--before", sns[0]) if edit % 2 == 0 else ("--after", sns[-2])
            first = moved if edit % 2 == 0 else sns[0]  # the first row, once the page shows the edit
            mark = observer.mark()
            start = time.perf_counter()
            assert observer.connection.command(f"move {moved} {where} {anchor}", timeout=60).ok
            observer.wait_for(lambda event: event.get("kind") == "tree", since=mark)
            to_client.append(time.perf_counter() - start)
            page.wait_for_function(f"() => document.querySelector('{QUEUE_ROWS}')?.dataset.sn === '{first}'",
                                   polling=5, timeout=60000)
            to_page.append(time.perf_counter() - start)
        return to_client, to_page
    finally:
        browser.close()
        observer.close()
        server.stop()


def main(sizes: list[int], edits: int) -> None:
    print(f"{'queue':>10}  {'edit → protocol client':>24}  {'edit → the page shows it':>26}   (median / max, ms)")
    with sync_playwright() as playwright:
        for obs in sizes:
            to_client, to_page = edit_times(playwright, obs, edits)
            print(f"{obs:>6} OBs  {statistics.median(to_client) * 1e3:>15.0f} / {max(to_client) * 1e3:>5.0f}"
                  f"  {statistics.median(to_page) * 1e3:>17.0f} / {max(to_page) * 1e3:>5.0f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=10)
    parser.add_argument("--sizes", default="10,100,1000")
    args = parser.parse_args()
    main([int(size) for size in args.sizes.split(",")], args.edits)
