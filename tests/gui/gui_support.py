"""What the GUI tests share: a real seqserver process, how Chromium is launched, what is measured
in the page, and a protocol client that records what the server sent."""
import pathlib
import queue
import re
import subprocess
import sys
import threading
import time
import urllib.parse

import seqclient
from seqclient import access

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
START_TIMEOUT = 30  # seconds for a server to listen
VIEWPORT = {"width": 1280, "height": 800}
REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]
SCRIPTS = pathlib.Path(__file__).resolve().parent / "scripts"

# The page's main-thread tasks over 50 ms (the Long Tasks API), from before its own scripts run.
LONG_TASK_PROBE = """
window.seqLongTasks = [];
new PerformanceObserver((list) => {
  for (const task of list.getEntries()) window.seqLongTasks.push(task.duration);
}).observe({ type: "longtask", buffered: true });
"""

# When the status bar first says `word`: the time (Unix, seconds) of the frame after the one that drew it,
# put in the attribute data-seq-shown-at of the document's element.
WATCH_STATUS = """(word) => {
  const status = document.querySelector("#connection-state");
  const root = document.documentElement;
  delete root.dataset.seqShownAt;
  new MutationObserver(() => {
    if (status.textContent.includes(word)) {
      requestAnimationFrame(() => { root.dataset.seqShownAt ??= String(Date.now() / 1000); });
    }
  }).observe(status, { childList: true, characterData: true, subtree: true });
}"""


def shown_at(page) -> float:
    """When the status bar said what WATCH_STATUS watches for (waiting for it)."""
    when = page.locator("html")
    from playwright.sync_api import expect
    expect(when).to_have_attribute("data-seq-shown-at", re.compile(r"^\d"), timeout=15000)
    return float(when.get_attribute("data-seq-shown-at"))


class ServerProcess:
    """``python -m seqserver`` on 127.0.0.1 (or ``host``); its output is read by a thread so it never blocks."""

    def __init__(self, *options: str, port: int = 0, host: str = "127.0.0.1", cwd=None):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "seqserver", "--address", f"{host}:{port}", *options],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=cwd,
        )
        self.lines = queue.Queue()
        self.stderr = []
        threading.Thread(target=self._read, args=(self.process.stdout, self.lines.put), daemon=True).start()
        threading.Thread(target=self._read, args=(self.process.stderr, self.stderr.append), daemon=True).start()
        self.port = self._wait_listening()
        self.host = host
        self.url = f"http://{host}:{self.port}/"
        # What seqtool gui sends the browser to: the page signs in with the user's own token.
        self.signed_url = f"{self.url}#token={urllib.parse.quote(access.client_token(None, host), safe='')}"

    @staticmethod
    def _read(stream, deliver):
        for line in stream:
            deliver(line)

    def _wait_listening(self) -> int:
        try:
            while True:
                line = self.lines.get(timeout=START_TIMEOUT)
                if line.startswith("seqserver listening on"):
                    return int(line.strip().rpartition(":")[2])
        except queue.Empty:
            self.stop()
            raise RuntimeError("seqserver did not start:\n" + "".join(self.stderr)) from None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class Observer:
    """A protocol client of the server that records every event it receives, with when it came."""

    def __init__(self, server: ServerProcess):
        self.events = []  # (event, arrival time)
        self.arrived = threading.Condition()
        self.connection = seqclient.SyncClient("127.0.0.1", server.port, client="test observer",
                                            token=access.client_token(None, "127.0.0.1"), on_event=self._take)

    def _take(self, event):
        with self.arrived:
            self.events.append((event, time.time()))
            self.arrived.notify_all()

    def mark(self) -> int:
        """A point in the events received so far, for wait_for(since=...)."""
        with self.arrived:
            return len(self.events)

    def wait_for(self, predicate, since=0, timeout=60):
        """The first event (after ``since``) satisfying ``predicate``, and when it arrived (waiting for it)."""
        looked = since  # events before this one were looked at already: each arrival looks at the new ones only

        def found():
            nonlocal looked
            new, looked = self.events[looked:], len(self.events)
            return next((e for e in new if predicate(e[0])), None)

        with self.arrived:
            event = self.arrived.wait_for(found, timeout)
        assert event, "the expected event did not come"
        return event

    def run_ended(self, status="finished", since=0):
        return self.wait_for(lambda e: e.get("kind") == "run" and e["status"] == status, since)

    def close(self):
        self.connection.close()
