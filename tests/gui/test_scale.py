"""The page with observatory-sized scripts: a run of 2,600 nodes and one of 10,000 steps, as fast
as the chain can run them, with the page's long tasks measured by the browser (Long Tasks API).

Acceptance: no main-thread task over 50 ms from loading the script to the run's end, and the end
shown within 1 s of the kernel's (its `run` event's time). Two allowances keep this meaningful on
a loaded machine, where any process may be kept waiting for the processor now and then:
- a load and run with a stalled task is tried again, up to ATTEMPTS times; one must be clean
  (a page that does too much in one go, as the page once did for a minute, fails every time);
- where the chain itself delivers the end later than 1 s (a protocol client of the same server
  saw it late), the page may add PAGE_SHARE_S to what that client saw.
scripts/bench_gui.py measures the same figures closely, beside an idle page's.
"""
import re

import pytest
from gui_support import SCRIPTS, WATCH_STATUS, shown_at
from playwright.sync_api import expect
from test_page import WAIT, command, row, state

LONGEST_TASK_MS = 50
END_SHOWN_S = 1.0
PAGE_SHARE_S = 0.5
ATTEMPTS = 4
MAX_ELEMENTS = 2000  # in the whole document: only the rows on screen exist


def load_and_run(page, observer, script):
    """Load ``script`` and run it: (longest task in ms, end shown after the kernel's, and seen by a protocol client)."""
    page.evaluate("window.seqLongTasks = []")
    command(page, f"load {SCRIPTS / script}")
    expect(page.locator("#tree tbody tr[data-sn]").first).to_be_visible(timeout=WAIT)
    page.evaluate(WATCH_STATUS, "run finished")
    since = observer.mark()
    page.click("[data-command=run]")
    expect(page.locator("#connection-state")).to_have_text("Connected, run finished", timeout=60_000)
    end, client_saw_it = observer.run_ended(since=since)
    shown = shown_at(page)
    return max(page.evaluate("window.seqLongTasks"), default=0), shown - end["ts"], client_saw_it - end["ts"]


@pytest.mark.parametrize("script, top, last, pictures", [
    ("engineering.py", "engineering", "actuator199.9", "gui-large"),  # the README's pictures
    ("ten_thousand.py", "ten_thousand", "s99.99", None),
])
def test_a_large_run_keeps_the_page_live_and_shows_its_end_at_once(open_page, observer, screenshot, script, top,
                                                                   last, pictures):
    page = open_page()
    attempts = []
    for _ in range(ATTEMPTS):
        longest, lag, client_lag = load_and_run(page, observer, script)
        clean = longest <= LONGEST_TASK_MS and lag <= max(END_SHOWN_S, client_lag + PAGE_SHARE_S)
        attempts.append(f"longest task {longest:.0f} ms, end shown {lag:.3f} s after the kernel's "
                        f"(a protocol client: {client_lag:.3f} s)")
        if clean:
            break
        command(page, "clear")
    print(f"{script}: " + "; ".join(attempts))
    assert clean, attempts

    page.locator("#tree-pane").focus()
    page.keyboard.press("Home")
    expect(state(page, top)).to_have_text("Finished")
    page.keyboard.press("End")  # the last step, finished too
    expect(state(page, last)).to_have_text("Finished", timeout=WAIT)
    assert page.evaluate("document.getElementsByTagName('*').length") < MAX_ELEMENTS

    page.click("[data-view=timeline]")  # at the same rows
    expect(row(page, last, view="timeline").locator(".bar")).to_have_class(re.compile(r"^bar finished\b"))
    if pictures:
        page.keyboard.press("Home")
        expect(row(page, top, view="timeline")).to_be_in_viewport()
        screenshot(page, f"{pictures}-timeline")
        page.click("[data-view=tree]")
        expect(row(page, top)).to_be_in_viewport()
        screenshot(page, f"{pictures}-tree")
