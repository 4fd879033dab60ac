"""What the GUI tests share: a real seqserver process and how Chromium is launched."""
import pathlib
import queue
import subprocess
import sys
import threading
import urllib.parse

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


class ServerProcess:
    """``python -m seqserver`` on 127.0.0.1; its output is read by a thread so it never blocks."""

    def __init__(self, *options: str, port: int = 0):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "seqserver", "--address", f"127.0.0.1:{port}", *options],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines = queue.Queue()
        self.stderr = []
        threading.Thread(target=self._read, args=(self.process.stdout, self.lines.put), daemon=True).start()
        threading.Thread(target=self._read, args=(self.process.stderr, self.stderr.append), daemon=True).start()
        self.port = self._wait_listening()
        self.url = f"http://127.0.0.1:{self.port}/"
        # What seqtool gui sends the browser to: the page signs in with the user's own token.
        self.signed_url = f"{self.url}#token={urllib.parse.quote(access.client_token(None, '127.0.0.1'), safe='')}"

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
