"""The Queue tab in headless Chromium against a real server: reorder (buttons and drag and drop), remove,
requeue, hold before the next item, the kernel's refusals shown, and every page following the edits."""
import re

import pytest
from gui_support import REPO_ROOT
from night_scripts import write_night
from playwright.sync_api import expect
from test_page_models import REPLAY_INTO_SNAPSHOT

import seqclient
from seqclient import access

WAIT = 15000  # ms: upper bound for anything to show up
OBS = REPO_ROOT / "samples" / "obs"

@pytest.fixture
def scripts(tmp_path):
    """Script files: name -> path."""
    return write_night(tmp_path)


def command(page, line, ok=True):
    """Type a command in the toolbar's input line and wait for its reply."""
    page.fill("#command-line", line)
    page.press("#command-line", "Enter")
    expect(page.locator("#last-reply")).to_have_text(re.compile(f"^{re.escape(line)}:"), timeout=WAIT)
    expect(page.locator("#last-reply")).to_have_class("ok" if ok else "failed")


def open_queue(page):
    page.click("[data-tab=queue]")
    expect(page.locator("#tab-queue")).to_be_visible()


def queue_row(page, name):
    return page.locator("#tab-queue tbody tr", has=page.locator(".label", has_text=re.compile(f"^{re.escape(name)}$")))


def expect_queue(page, *names):
    """The Queue tab lists these rows, in this order."""
    expect(page.locator("#tab-queue tbody tr .label")).to_have_text(list(names), timeout=WAIT)


def click_action(page, name, action, nth=0):
    queue_row(page, name).nth(nth).locator(f"button[data-action={action}]").click()


def kernel_order(observer):
    return [item["name"] for item in observer.connection.command("snapshot").data["scripts"]]


def test_reorder_remove_requeue_with_buttons_and_drag_and_drop(open_page, observer, scripts, screenshot):
    page = open_page()
    command(page, f"load {scripts['alpha']} {scripts['beta']} {scripts['gamma']}")
    command(page, f"ob {OBS / 'fors2_01_acquisition.json'}")
    open_queue(page)
    expect_queue(page, "alpha", "beta", "gamma", "NGC 300 acquisition")

    click_action(page, "alpha", "down")
    expect_queue(page, "beta", "alpha", "gamma", "NGC 300 acquisition")
    click_action(page, "NGC 300 acquisition", "up")
    expect_queue(page, "beta", "alpha", "NGC 300 acquisition", "gamma")
    queue_row(page, "gamma").drag_to(queue_row(page, "beta"), target_position={"x": 20, "y": 2})  # upper half: before
    expect_queue(page, "gamma", "beta", "alpha", "NGC 300 acquisition")
    queue_row(page, "gamma").drag_to(queue_row(page, "alpha"), target_position={"x": 20, "y": 18})  # lower: after
    expect_queue(page, "beta", "alpha", "gamma", "NGC 300 acquisition")
    click_action(page, "beta", "requeue")
    expect_queue(page, "beta", "alpha", "gamma", "NGC 300 acquisition", "beta")
    click_action(page, "alpha", "remove")
    expect_queue(page, "beta", "gamma", "NGC 300 acquisition", "beta")
    assert kernel_order(observer) == ["beta", "gamma", "NGC 300 acquisition", "beta"]

    # An OB's templates move within it, and not out of it (the kernel's refusal is shown).
    command(page, f"ob {OBS / 'fors2_02_imaging.json'}")
    queue_row(page, "NGC 300 acquisition").locator("[data-action=toggle]").click()
    templates = page.locator("#tab-queue tbody tr.template")
    expect(templates).to_have_count(1)  # (rows are repainted in place: the one below now shows another item)
    queue_row(page, "NGC 300 imaging, two exposures").locator("[data-action=toggle]").click()
    expect(templates).to_have_count(3)
    first, second = (templates.nth(i).get_attribute("data-sn") for i in (1, 2))  # the imaging OB's templates
    templates.nth(2).locator("[data-action=up]").click()
    expect(templates.nth(1)).to_have_attribute("data-sn", second, timeout=WAIT)
    expect(templates.nth(2)).to_have_attribute("data-sn", first)
    templates.nth(0).drag_to(templates.nth(2))
    expect(page.locator("#tab-queue .refusal")).to_contain_text("a template stays in its OB", timeout=WAIT)
    expect(page.locator("#last-reply")).to_have_class("failed")
    screenshot(page, "gui-queue")


def test_refusals_during_a_run_and_the_hold_before_the_next_item(open_page, observer, scripts):
    page = open_page()
    command(page, f"load {scripts['gate']} {scripts['alpha']} {scripts['beta']}")
    open_queue(page)
    command(page, "run")
    observer.run_ended("paused")  # at the gate's breakpoint
    expect(queue_row(page, "gate").locator("td.state")).to_have_text("Running", timeout=WAIT)

    click_action(page, "gate", "remove")
    refusal = page.locator("#tab-queue .refusal")
    expect(refusal).to_have_text(re.compile(r"^remove \d+: cannot remove \(\d+\) gate: it is RUNNING; while a run is in "
                                            "progress only what has not started may change$"), timeout=WAIT)
    queue_row(page, "beta").drag_to(queue_row(page, "gate"), target_position={"x": 20, "y": 2})
    expect(refusal).to_contain_text("which is RUNNING: while a run is in progress, work goes after what has started",
                                    timeout=WAIT)
    expect_queue(page, "gate", "alpha", "beta")
    click_action(page, "beta", "up")  # what has not started moves: beta runs next
    expect_queue(page, "gate", "beta", "alpha")
    expect(refusal).to_have_text("")

    hold = page.locator("#tab-queue .hold")
    hold.click()
    expect(hold).to_have_text("Release the queue", timeout=WAIT)
    expect(page.locator("#tab-queue .held-note")).to_be_visible()
    since = observer.mark()
    inside = next(node["sn"] for node in observer.connection.command("snapshot").data["scripts"][0]["children"]
                  if node["name"] == "inside")
    command(page, f"resume {inside}")
    observer.run_ended("paused", since=since)  # the gate finished; the run waits before beta
    expect(queue_row(page, "gate").locator("td.state")).to_have_text("Finished", timeout=WAIT)
    expect(queue_row(page, "beta").locator("td.state")).to_have_text("Scheduled")
    hold.click()
    expect(hold).to_have_text("Hold before next item", timeout=WAIT)
    expect(queue_row(page, "alpha").locator("td.state")).to_have_text("Finished", timeout=WAIT)

    page.locator("#tab-queue .history").click()
    dialog = page.locator("#text-dialog")
    expect(dialog.locator(".title")).to_have_text("What the queue ran")
    expect(dialog.locator(".text")).to_have_text(re.compile(r"1\. .* gate: finished\n2\. .* beta: finished\n"
                                                            r"3\. .* alpha: finished"))


def test_every_page_follows_the_edits_late_ones_too(open_page, scripts):
    first = open_page()
    second = open_page()
    command(first, f"load {scripts['alpha']} {scripts['beta']} {scripts['gamma']}")
    for page in (first, second):
        open_queue(page)
        expect_queue(page, "alpha", "beta", "gamma")
    click_action(first, "gamma", "up")
    click_action(second, "alpha", "remove")
    for page in (first, second):
        expect_queue(page, "gamma", "beta")
    late = open_page()
    open_queue(late)
    expect_queue(late, "gamma", "beta")
    expect(late.locator("#tree tbody tr .label").first).to_have_text("gamma")


def test_the_pages_picture_follows_every_edit_as_the_server_does(open_page, server, observer, scripts):
    """Edits applied in the page's snapshot.js, from the snapshot they started from, give what a client
    joining afterwards is welcomed with (the server's protocol.Snapshot, fed the same events)."""
    page = open_page(debug=False)
    command(page, f"load {scripts['alpha']} {scripts['beta']}")
    command(page, f"ob {OBS / 'fors2_02_imaging.json'}")
    start = observer.connection.command("snapshot").data
    since = observer.mark()
    sn = {item["name"]: item["sn"] for item in start["scripts"]}
    ob = next(item for item in start["scripts"] if item["type"] == "O")
    first, second = (child["sn"] for child in ob["children"] if child["type"] == "T")
    for line in (f"move {sn['beta']} --first", f"move {second} --first", f"requeue {first} --after {second}",
                 f"load {scripts['gamma']} --after {sn['alpha']}", f"remove {sn['alpha']} {first}",
                 f"replace {sn['beta']} {OBS / 'fors2_01_acquisition.json'}", f"requeue {ob['sn']}", "pause"):
        command(page, line)
    observer.wait_for(lambda e: e.get("kind") == "tree" and e["action"] == "held", since)
    with seqclient.SyncClient("127.0.0.1", server.port, client="late joiner",
                              token=access.client_token(None, "127.0.0.1")) as late:
        joining = late.welcome["snapshot"]
    events = [event for event, _ in observer.events[since:]]
    assert {event["action"] for event in events if event["kind"] == "tree"} == {
        "moved", "inserted", "removed", "replaced", "held"}
    assert page.evaluate(REPLAY_INTO_SNAPSHOT, {"start": start, "events": events}) == joining


def test_a_page_on_another_tab_shows_the_queue_as_it_is_when_the_tab_opens(open_page, observer, scripts):
    page = open_page()
    command(page, f"load {scripts['alpha']} {scripts['beta']} {scripts['gamma']}")
    open_queue(page)
    expect_queue(page, "alpha", "beta", "gamma")
    page.click("[data-tab=logs]")
    sns = {item["name"]: item["sn"] for item in observer.connection.command("snapshot").data["scripts"]}
    assert observer.connection.command(f"move {sns['gamma']} --before {sns['alpha']}").ok
    assert observer.connection.command(f"remove {sns['beta']}").ok
    expect(page.locator("#tree tbody tr .label").first).to_have_text("gamma", timeout=WAIT)  # the page has the edits
    open_queue(page)
    expect_queue(page, "gamma", "alpha")
    click_action(page, "alpha", "up")  # the rows shown are the current ones, their actions too
    expect_queue(page, "alpha", "gamma")
