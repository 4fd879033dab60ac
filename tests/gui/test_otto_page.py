"""The page against a server whose configuration names OTTO (a real tino): the OTTO menu,
and a page that joins while a dialog waits."""
import re

import pytest
from gui_support import ServerProcess
from playwright.sync_api import expect
from test_page import WAIT, command, row, state


@pytest.fixture
def server(tmp_path, tino_url):
    """The server of this module's pages, told where OTTO is by its configuration file."""
    config = tmp_path / "seq.yaml"
    config.write_text(f"otto:\n  url: {tino_url}\n  insid: FORS2\n")
    running = ServerProcess("--config", str(config))
    yield running
    running.stop()


def otto(page, item):
    page.click("#otto-menu summary")
    page.locator("#otto-menu").get_by_role("button", name=item).click()


def test_the_otto_menu_lists_fetches_and_shows_the_configuration(open_page, tino_url):
    page = open_page()
    expect(page.locator("#otto-menu")).to_be_visible(timeout=WAIT)
    otto(page, "List OBs")
    listing = page.locator("#text-dialog")
    expect(listing).to_be_visible(timeout=WAIT)
    expect(listing.locator(".text")).to_contain_text(re.compile(r">\s+101\s+Queued\s+NGC 300 acquisition"))
    listing.get_by_role("button", name="Close").click()

    otto(page, "Fetch OB")
    expect(row(page, "NGC 300 acquisition")).to_be_visible(timeout=WAIT)
    page.click("[data-command=run]")
    expect(state(page, "NGC 300 acquisition")).to_have_text("Finished", timeout=WAIT)
    otto(page, "List OBs")
    expect(listing.locator(".text")).to_contain_text(re.compile(r"101\s+Executed\s+NGC 300 acquisition"),
                                                     timeout=WAIT)
    listing.get_by_role("button", name="Close").click()

    otto(page, "Config")
    settings = page.locator("#otto-config")
    expect(settings).to_be_visible()
    expect(settings.locator("[name=url]")).to_have_value(tino_url)
    expect(settings.locator("[name=insid]")).to_have_value("FORS2")
    settings.get_by_role("button", name="Cancel").click()
    expect(settings).to_be_hidden()


def test_a_page_that_joins_while_a_dialog_waits_is_asked_and_its_answer_counts(open_page):
    first = open_page()
    command(first, "load seq.samples.dialog")
    first.click("[data-command=run]")
    expect(first.locator("#basic-dialog")).to_be_visible(timeout=WAIT)
    late = open_page(debug=False)  # the dialog is modal from the start
    prompt = late.locator("#basic-dialog")
    expect(prompt).to_be_visible(timeout=WAIT)
    expect(prompt).to_contain_text("my first dialog")
    prompt.get_by_role("button", name="Stop sequence").click()
    for page in (first, late):
        expect(page.locator("#basic-dialog")).to_be_hidden(timeout=WAIT)
        expect(state(page, "some_dialog")).to_have_text(re.compile("Cancelled"), timeout=WAIT)
    command(first, "nodes")
