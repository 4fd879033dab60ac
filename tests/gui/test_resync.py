"""A page that is resynchronised (it fell behind the run, or the chain behind the server restarted)
shows the same view as before (columns, collapsed rows, selection, scroll position, log filters),
and its status bar tells the truth."""
import os
import pathlib
import re
import signal
import sys

import pytest
from gui_support import SCRIPTS, ServerProcess
from playwright.sync_api import expect
from test_page import WAIT, command, log_lines, row, rows_named, state

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "server"))
from server_harness import chain_pids  # noqa: E402  (the server tests' helper)

ENGINEERING = SCRIPTS / "engineering.py"
SELECTED = re.compile(r"\bselected\b")

# The name of the first row wholly below the tree's head: what the operator sees at the top.
TOP_ROW = """() => {
  const pane = document.querySelector("#tree-pane");
  const headBottom = pane.querySelector("thead").getBoundingClientRect().bottom;
  const rows = [...pane.querySelectorAll("tbody tr[data-sn]")];
  const top = rows.find((row) => row.getBoundingClientRect().top >= headBottom - 1);
  return top.querySelector(".label").textContent;
}"""


@pytest.fixture
def server():
    """A server that resynchronises a client as soon as a few events wait for it: every page falls
    behind (the queue's limit is in bytes; at four times as much the client would be disconnected)."""
    running = ServerProcess("--client-queue", "300")
    yield running
    running.stop()


def collapse(page, name):
    row(page, name).locator(".toggle").click()
    expect(row(page, name)).to_have_attribute("aria-expanded", "false")


def test_a_page_that_fell_behind_keeps_its_view_and_tells_the_truth(open_page):
    page = open_page()  # Debug Mode: the # and State columns
    page.uncheck("#follow-run")
    command(page, f"load {ENGINEERING}")
    collapse(page, "group1")
    collapse(page, "group2")
    row(page, "engineering").click()
    for _ in range(4):
        page.keyboard.press("PageDown")
    chosen = page.locator("#tree tr.selected")
    expect(chosen).to_be_in_viewport()
    selected = chosen.locator(".label").inner_text()
    at_top = page.evaluate(TOP_ROW)
    page.click("#logs-filter summary")
    page.uncheck("#logs-filter input[value='seq.user']")
    page.click("#logs-filter summary")

    page.click("[data-command=run]")
    expect(page.locator("#connection-state")).to_have_text("Connected, run finished", timeout=60_000)
    expect(log_lines(page, "this client fell behind").first).to_be_visible(timeout=WAIT)  # it was resynchronised

    assert page.evaluate(TOP_ROW) == at_top
    expect(row(page, selected)).to_have_class(SELECTED)
    expect(page.locator("#tree th.state")).to_be_visible()
    expect(state(page, selected)).to_have_text("Finished")
    expect(page.locator("#logs-filter input[value='seq.user']")).not_to_be_checked()
    expect(log_lines(page, "Starting Task")).to_have_count(0)
    page.locator("#tree-pane").focus()
    page.keyboard.press("Home")
    expect(row(page, "group1")).to_have_attribute("aria-expanded", "false")
    expect(rows_named(page, "actuator1.0")).to_have_count(0)
    expect(state(page, "engineering")).to_have_text("Finished")


def test_after_the_chain_restarted_the_page_shows_the_work_restored_as_it_is(open_page, server):
    page = open_page()
    page.uncheck("#follow-run")
    command(page, f"load {ENGINEERING}")
    command(page, "pause -find_name actuator0.5")
    collapse(page, "group1")
    row(page, "group2").click()
    page.click("[data-command=run]")
    expect(page.locator("#connection-state")).to_have_text("Connected, paused", timeout=WAIT)

    os.kill(chain_pids(server)[1], signal.SIGKILL)  # the kernel

    expect(log_lines(page, re.compile(r"^restored 1 loading command"))).to_have_count(1, timeout=30_000)
    expect(page.locator("#connection-state")).to_have_text("Connected")  # nothing runs in the fresh chain
    expect(state(page, "engineering")).to_have_text("Not Started")
    expect(state(page, "actuator0.5")).to_have_text("Not Started (Pause)")  # the flag, restored
    expect(row(page, "group1")).to_have_attribute("aria-expanded", "false")
    expect(row(page, "group2")).to_have_class(SELECTED)
