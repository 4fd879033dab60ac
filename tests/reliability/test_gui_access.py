"""The GUI in front of a server that asks for a token: ``seqtool gui`` signs the page in without ever
showing the token (nor putting it on a command line), or says why it cannot; over TLS too."""
import asyncio
import os
import pathlib
import subprocess
import sys

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "gui"))
from gui_support import CHROMIUM, CHROMIUM_ARGS, ServerProcess  # noqa: E402  (as the GUI tests do)

GUI = [sys.executable, "-m", "seqtool", "gui", "--no-browser"]
TOKEN = "s3cret/token+"


@pytest.fixture
def chromium():
    """A headless Chromium (Playwright's sync API, on asyncio's own loops)."""
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} is not installed (Debian package chromium)")
    engine_policy = asyncio.get_event_loop_policy()
    asyncio.set_event_loop_policy(asyncio.DefaultEventLoopPolicy())  # Playwright needs asyncio's own loops
    try:
        with playwright_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser, playwright_api.expect
            browser.close()
    finally:
        asyncio.set_event_loop_policy(engine_policy)


def test_seqtool_gui_signs_the_page_in_without_showing_the_token(tmp_path, chromium):
    browser, expect = chromium
    token_file = tmp_path / "token"
    token_file.write_text(f"{TOKEN}\n")
    state = tmp_path / "state"
    env = {**os.environ, "TMPDIR": str(tmp_path), "XDG_STATE_HOME": str(state)}
    env.pop("SEQ_TOKEN", None)
    server = ServerProcess("--token-file", str(token_file))
    try:
        address = f"127.0.0.1:{server.port}"
        refused = subprocess.run([*GUI, "--address", address], capture_output=True, env=env, timeout=60)
        admitted = subprocess.run([*GUI, "--address", address, "--token-file", str(token_file)],
                                  capture_output=True, env=env, timeout=60)
        # Not mistaken for a busy port (no server started on the next one): the refusal, and how to get in.
        assert refused.returncode == 1
        said = refused.stderr.decode()
        assert f"the sequencer server at {address} refused this client: wrong or missing token" in said
        assert "--token" in said and b"listening" not in refused.stdout
        assert admitted.returncode == 0, admitted.stderr.decode()
        shown = admitted.stdout.decode()
        assert f"Sequencer GUI: http://{address}/?log-level=INFO\n" in shown
        assert TOKEN not in shown and "s3cret" not in shown
        launcher = state / "seq" / f"gui-{server.port}.html"
        assert launcher.as_uri() in shown and launcher.stat().st_mode & 0o777 == 0o600
        page = browser.new_page()
        page.goto(launcher.as_uri())
        expect(page.locator("#connection-state")).to_have_text("Connected", timeout=15000)
        assert page.url == f"http://{address}/?log-level=INFO"
    finally:
        server.stop()


def test_the_page_over_tls_signs_in_from_its_address(tmp_path, chromium):
    """Over https (and wss), the address with the token in its fragment opens a connected page,
    and the token leaves the address bar; the cookie is for TLS only."""
    browser, expect = chromium
    pytest.importorskip("cryptography")  # for the test's certificate authority
    from certs import make_certificates
    token_file = tmp_path / "token"
    token_file.write_text(f"{TOKEN}\n")
    certificates = make_certificates(tmp_path)
    server = subprocess.Popen([sys.executable, "-m", "seqserver", "--address", "127.0.0.1:0", "--token-file",
                               str(token_file), "--tls-cert", str(certificates["cert"]), "--tls-key",
                               str(certificates["key"])], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env={**os.environ, "TMPDIR": str(tmp_path)})
    try:
        address = server.stdout.readline().split()[-1]
        context = browser.new_context(ignore_https_errors=True)  # the test's authority is not the browser's
        page = context.new_page()
        page.goto(f"https://{address}/#token=s3cret%2Ftoken%2B")
        expect(page.locator("#connection-state")).to_have_text("Connected", timeout=15000)
        assert page.url == f"https://{address}/"
        [cookie] = context.cookies()
        assert cookie["secure"] and cookie["httpOnly"]
        context.close()
    finally:
        server.terminate()
        _, errors = server.communicate(timeout=15)
    assert "wrong or missing token" not in errors
