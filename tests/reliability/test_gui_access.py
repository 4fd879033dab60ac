"""The GUI in front of a server that asks for a token: ``seqtool gui`` passes it or says why it cannot,
and the page sends it (over TLS too)."""
import asyncio
import os
import pathlib
import subprocess
import sys
import urllib.parse

import pytest
import trio

from server_harness import running_server

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "gui"))
from gui_support import CHROMIUM, CHROMIUM_ARGS  # noqa: E402  (how the GUI tests launch Chromium)

GUI = [sys.executable, "-m", "seqserver.seqtool", "gui", "--no-browser"]


async def test_seqtool_gui_passes_the_token_or_reports_the_refusal(tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text("s3cret-token\n")
    env = {**os.environ, "TMPDIR": str(tmp_path), "XDG_STATE_HOME": str(tmp_path / "empty")}
    env.pop("SEQ_TOKEN", None)
    async with running_server("--token-file", str(token_file)) as server:
        with trio.fail_after(60):
            refused = await trio.run_process([*GUI, "--address", server.address], capture_stdout=True,
                                             capture_stderr=True, check=False, env=env)
            admitted = await trio.run_process([*GUI, "--address", server.address, "--token-file", str(token_file)],
                                              capture_stdout=True, capture_stderr=True, check=False, env=env)
    # Not mistaken for a busy port (no server started on the next one): the refusal, and how to get in.
    assert refused.returncode == 1
    said = refused.stderr.decode()
    assert f"the sequencer server at {server.address} refused this client: wrong or missing token" in said
    assert "--token" in said and b"listening" not in refused.stdout
    assert admitted.returncode == 0, admitted.stderr.decode()
    assert f"Sequencer GUI: http://{server.address}/?log-level=INFO#token=s3cret-token" in admitted.stdout.decode()


def test_the_page_over_tls_sends_the_token_from_its_address(tmp_path):
    """Over https (and wss), the URL seqtool gui prints, token in the fragment, opens a connected page."""
    playwright_api = pytest.importorskip("playwright.sync_api")
    pytest.importorskip("cryptography")  # for the test's certificate authority
    from certs import make_certificates
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} is not installed (Debian package chromium)")
    token_file = tmp_path / "token"
    token_file.write_text("s3cret/token+\n")
    certificates = make_certificates(tmp_path)
    server = subprocess.Popen([sys.executable, "-m", "seqserver", "--address", "127.0.0.1:0", "--token-file",
                               str(token_file), "--tls-cert", str(certificates["cert"]), "--tls-key",
                               str(certificates["key"])], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env={**os.environ, "TMPDIR": str(tmp_path)})
    engine_policy = asyncio.get_event_loop_policy()
    asyncio.set_event_loop_policy(asyncio.DefaultEventLoopPolicy())  # Playwright needs asyncio's own loops
    try:
        address = server.stdout.readline().split()[-1]
        with playwright_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(ignore_https_errors=True)  # the test's authority is not the browser's
            page.goto(f"https://{address}/#token={urllib.parse.quote('s3cret/token+')}")
            playwright_api.expect(page.locator("#connection-state")).to_have_text("Connected", timeout=15000)
            browser.close()
    finally:
        asyncio.set_event_loop_policy(engine_policy)
        server.terminate()
        _, errors = server.communicate(timeout=15)
    assert "wrong or missing token" not in errors
