"""Who may use the page, in a real browser: the server's own page signs in and holds no token;
a page from anywhere else, or without the token, gets nothing."""
import http.server
import threading

import pytest
from gui_support import ServerProcess

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect


def test_the_page_trades_the_token_in_its_address_for_a_cookie_it_cannot_read(open_page, server):
    page = open_page(debug=False)
    assert "token" not in page.url and page.url == server.url
    assert page.evaluate("document.cookie") == ""  # HttpOnly: no script of the page can read it
    [cookie] = page.context.cookies()
    assert cookie["name"] == f"seq-{server.port}" and cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    page.reload()  # the cookie alone signs the page in again
    expect(page.locator("#connection-state")).to_have_text("Connected", timeout=15000)


def test_without_the_token_the_page_asks_for_it(browser, server):
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(server.url)
        dialog = page.locator("#signin-dialog")
        expect(dialog).to_be_visible(timeout=15000)
        expect(dialog.locator(".reason")).to_contain_text("wrong or missing token")
        dialog.locator("[name=token]").fill("guess")
        dialog.locator("button").click()
        expect(dialog.locator(".reason")).to_have_text("wrong token")
        dialog.locator("[name=token]").fill(server.signed_url.rpartition("#token=")[2])
        dialog.locator("button").click()
        expect(page.locator("#connection-state")).to_have_text("Connected", timeout=15000)
    finally:
        context.close()


class ForeignSite:
    """A page from another origin, served by another web server of this machine, which tries
    the sequencer's websocket and puts what happened in its title."""

    def __init__(self, target_port: int):
        page = f"""<!doctype html><title>trying</title><script>
            const ws = new WebSocket("ws://127.0.0.1:{target_port}/ws");
            ws.onopen = () => document.title = "opened";
            ws.onerror = () => document.title = "refused";
        </script>""".encode()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_a_page_of_another_site_cannot_reach_the_sequencer_even_when_signed_in(open_page, server):
    page = open_page(debug=False)  # signed in: the browser holds the cookie, which goes to 127.0.0.1 from any port
    foreign = ForeignSite(server.port)
    try:
        attacker = page.context.new_page()
        attacker.goto(foreign.url)
        expect(attacker).to_have_title("refused", timeout=15000)
    finally:
        foreign.close()
    assert any("web request refused" in line and "may not use this server" in line for line in server.stderr)


@pytest.fixture
def server_with_roles(tmp_path):
    (tmp_path / "tokens").write_text("watch-token observer control-room-wall\ndrive-token operator night-ops\n")
    running = ServerProcess("--token-file", str(tmp_path / "tokens"))
    yield running
    running.stop()


def test_the_page_shows_its_role_and_what_the_role_refuses(open_page, server_with_roles):
    watcher = open_page(f"{server_with_roles.url}#token=watch-token", debug=False)
    expect(watcher.locator("#role")).to_have_text("as observer")
    watcher.click("[data-command=run]")
    expect(watcher.locator("#last-reply")).to_have_text(
        "run: needs the operator role; your token (control-room-wall) gives observer")
    operator = open_page(f"{server_with_roles.url}#token=drive-token", debug=False)
    expect(operator.locator("#role")).to_have_text("as operator")
