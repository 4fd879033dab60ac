"""Fixtures for the GUI tests: a real server chain and headless Chromium.

Each test gets its own ``seqserver`` process (port 0, so tests run side by side)
and a fresh browser context; the browser itself is launched once per module.
Screenshots go to ``$SEQ_GUI_SCREENSHOTS`` when set (``docs`` refreshes the
README's pictures), else to the test's temporary folder.
"""
import asyncio
import os
import pathlib
import re

import pytest
from gui_support import CHROMIUM, CHROMIUM_ARGS, LONG_TASK_PROBE, REPO_ROOT, VIEWPORT, Observer, ServerProcess

playwright_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture
def server():
    running = ServerProcess()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def browser():
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} is not installed (Debian package chromium)")
    # Playwright drives the browser from a plain asyncio loop of its own. Importing the
    # engine (other tests in this worker run it in process) installs trio-asyncio's
    # event-loop policy, whose loops cannot serve Playwright: use asyncio's own while
    # the browser lives.
    engine_policy = asyncio.get_event_loop_policy()
    asyncio.set_event_loop_policy(asyncio.DefaultEventLoopPolicy())
    try:
        with playwright_api.sync_playwright() as playwright:
            launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield launched
            launched.close()
    finally:
        asyncio.set_event_loop_policy(engine_policy)


@pytest.fixture
def open_page(browser, server):
    """Open the GUI of ``server`` in a fresh browser context, signed in; returns the page once connected.
    The page records its long tasks (gui_support.LONG_TASK_PROBE)."""
    contexts = []
    errors = []

    def open_(url=None, debug=True, viewport=VIEWPORT, ready="Connected"):
        context = browser.new_context(viewport=viewport)
        context.add_init_script(LONG_TASK_PROBE)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(error))
        page.goto(url or server.signed_url)
        playwright_api.expect(page.locator("#connection-state")).to_have_text(re.compile(f"^{ready}"), timeout=15000)
        if debug:
            page.click("#application-menu summary")
            page.check("#debug-mode")
        return page

    yield open_
    for context in contexts:
        context.close()
    assert not errors, f"errors in the page: {errors}"


@pytest.fixture
def observer(server):
    """A protocol client recording every event the server sends (gui_support.Observer)."""
    watching = Observer(server)
    yield watching
    watching.close()


@pytest.fixture
def screenshot(tmp_path):
    folder = pathlib.Path(os.environ.get("SEQ_GUI_SCREENSHOTS") or tmp_path)
    if not folder.is_absolute():
        folder = REPO_ROOT / folder
    folder.mkdir(parents=True, exist_ok=True)

    def take(page, name):
        page.screenshot(path=str(folder / f"{name}.png"))

    return take
