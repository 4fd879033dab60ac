"""The Directory tab: every sequence component and sequencer of the location service, live, each a
link to the page of its own server.

Real processes throughout: a ``redis-server`` of the test's own, sequence components on two
loopback addresses (127.0.0.1 and 127.0.0.2, as two hosts), and the page in headless Chromium,
opened on a server that is no component itself: any server shows the directory.
"""
import re
import signal
import socket

import pytest
from gui_support import ServerProcess

import seqclient
from seqclient import access


playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

LIVE = 15000  # ms: a change reaches the page well within this (a kill -9 within the registry's 1.5 s expiry)


@pytest.fixture
def server(redis_server):
    """The page's own server: no sequence component, it shows the directory of the test's Redis."""
    running = ServerProcess("--redis", redis_server.address)
    yield running
    running.stop()


@pytest.fixture
def components(redis_server, observatory):
    """Start sequence components (``start(NAME, HOST)``), all stopped at the end."""
    started = []

    def start(name, host="127.0.0.1"):
        component = ServerProcess("--component", name, "--config", str(observatory / "seq.yaml"),
                                  "--redis", redis_server.address, host=host, cwd=observatory)
        started.append(component)
        return component

    yield start
    for component in started:
        component.stop()


def show_directory(page):
    page.click("[data-tab=directory]")
    return page.locator("#directory tbody")


def row(directory, name):
    return directory.locator(f"tr[data-name='{name}']")


def cells(directory, name):
    """The row of ``name`` as the operator reads it: column -> text."""
    found = row(directory, name)
    expect(found).to_have_count(1, timeout=LIVE)
    return {cell.get_attribute("class"): cell.inner_text() for cell in found.locator("td").all()}


def test_the_directory_shows_components_and_sequencers_live_each_a_link_to_its_page(
        open_page, server, components, screenshot):
    esw = components("ESW.ESW_77", "127.0.0.2")
    page = open_page(debug=False)
    directory = show_directory(page)
    assert cells(directory, "ESW.ESW_77") == {
        "name": "ESW.ESW_77", "kind": "component", "state": "idle", "obsmode": "", "relation": "",
        "address": f"127.0.0.2:{esw.port}", "tls": "no", "simulation": "no"}
    expect(row(directory, "ESW.ESW_77").locator("a")).to_have_attribute("href", f"http://127.0.0.2:{esw.port}/")
    expect(page.locator("#directory-note")).to_have_text(re.compile(r"^1 registered in redis 127\.0\.0\.1:\d+/0$"))

    # A component that registers appears without a reload.
    iris = components("IRIS.IRIS_1")
    assert cells(directory, "IRIS.IRIS_1")["address"] == f"127.0.0.1:{iris.port}"

    # Loading the script of an observing mode makes a component a sequencer, on the page too (the seed's
    # example: the ESW component runs IRIS's sequencer for IRIS_ifsonly), shown under its component.
    with seqclient.SyncClient("127.0.0.2", esw.port, client="operator") as operator:
        loaded = operator.command("loadscript IRIS IRIS_ifsonly", timeout=60)
        assert loaded.ok, loaded.error
    assert cells(directory, "IRIS@IRIS_ifsonly") == {
        "name": "IRIS@IRIS_ifsonly", "kind": "sequencer", "state": "running", "obsmode": "IRIS_ifsonly",
        "relation": "on ESW.ESW_77", "address": f"127.0.0.2:{esw.port}", "tls": "no", "simulation": "no"}
    expect(row(directory, "ESW.ESW_77").locator(".relation")).to_have_text("runs IRIS@IRIS_ifsonly")
    expect(row(directory, "ESW.ESW_77").locator(".state")).to_have_text("running")
    assert [tr.get_attribute("data-name") for tr in directory.locator("tr").all()] == [
        "ESW.ESW_77", "IRIS@IRIS_ifsonly", "IRIS.IRIS_1"]
    screenshot(page, "gui-directory")

    # One killed disappears once its registration expires.
    iris.process.send_signal(signal.SIGKILL)
    expect(row(directory, "IRIS.IRIS_1")).to_have_count(0, timeout=LIVE)
    expect(directory.locator("tr")).to_have_count(2)

    # The sequencer's link opens the page of its own server, on the other host, which signs in its own way.
    with page.context.expect_page() as opened:
        row(directory, "IRIS@IRIS_ifsonly").locator("a").click()
    other = opened.value
    assert other.url == f"http://127.0.0.2:{esw.port}/"
    signin = other.locator("#signin-dialog")
    expect(signin).to_be_visible(timeout=LIVE)  # this browser has not signed in to that server yet
    signin.locator("[name=token]").fill(access.client_token(None, "127.0.0.2"))
    signin.locator("button").click()
    expect(other.locator("#connection-state")).to_have_text("Connected", timeout=LIVE)
    expect(other.locator("#tree")).to_contain_text("IFS only")


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_server_that_cannot_reach_its_registry_says_so_and_the_page_shows_the_directory_once_it_can(
        browser):
    from redis_harness import RedisServer, redis_installed

    if not redis_installed():
        pytest.skip("redis-server is not installed (scripts/install.sh installs it)")
    redis = RedisServer("127.0.0.1", _free_port())
    server = ServerProcess("--redis", redis.address)
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(server.signed_url)
        expect(page.locator("#connection-state")).to_have_text(re.compile("^Connected"), timeout=LIVE)
        show_directory(page)
        note = page.locator("#directory-note")
        expect(note).to_have_text(re.compile(
            rf"^locate: the location service cannot be used: redis {redis.address}/0 is unavailable"), timeout=LIVE)
        expect(note).to_have_class(re.compile("failed"))
        assert redis.start(), "the port chosen for Redis was taken meanwhile"
        expect(note).to_have_text(f"no component or sequencer in redis {redis.address}/0", timeout=LIVE)
    finally:
        context.close()
        server.stop()
        redis.stop()
