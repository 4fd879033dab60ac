"""tino as a real process on 127.0.0.1, and plain HTTP calls to it."""
import contextlib
import http.client
import json
import pathlib
import socket
import subprocess
import sys
import urllib.parse

import trio

SAMPLES = pathlib.Path(__file__).resolve().parents[2] / "samples"


class TinoProcess:
    """A running ``python -m seqtool.tino``: its URL and everything it printed."""

    def __init__(self, process: trio.Process):
        self.process = process
        self.url = None
        self.output = ""
        self._changed = trio.Condition()

    async def read_output(self):
        buffer = b""
        while data := await self.process.stdout.receive_some():
            buffer += data
            text, _, rest = buffer.rpartition(b"\n")
            if text:
                buffer = rest
                async with self._changed:
                    self.output += text.decode() + "\n"
                    self._changed.notify_all()

    async def expect(self, text: str, timeout: float = 10) -> str:
        """Wait until tino has printed ``text``; the line holding it."""
        with trio.fail_after(timeout):
            async with self._changed:
                while text not in self.output:
                    await self._changed.wait()
        return next(line for line in self.output.splitlines() if text in line)


@contextlib.asynccontextmanager
async def run_tino(folder, *args):
    command = [sys.executable, "-m", "seqtool.tino", str(folder), "--port", "0", *args]
    process = await trio.lowlevel.open_process(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    tino = TinoProcess(process)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(tino.read_output)
        try:
            line = await tino.expect("* Running on ")
            tino.url = line.split("Running on ")[1].split()[0]
            yield tino
        finally:
            if process.returncode is None:
                process.terminate()
            with trio.fail_after(10):
                await process.wait()


def sample_ob(ob_id, instrument, name, parameters=(("par_b", "integer", 1), ("par_c", "number", 2.5))):
    return {
        "obId": ob_id,
        "itemType": "OB",
        "instrument": instrument,
        "obsDescription": {"name": name},
        "templates": [
            {
                "templateName": "seq.samples.tpa",
                "type": "string",
                "parameters": [{"name": n, "type": t, "value": v} for n, t, v in parameters],
            }
        ],
    }


async def request(method, url, body=None, raw_body=None, headers=None):
    """One HTTP exchange in a worker thread: (status, parsed JSON body)."""

    def exchange():
        parts = urllib.parse.urlsplit(url)
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        try:
            data = raw_body if raw_body is not None else (None if body is None else json.dumps(body).encode())
            connection.request(method, parts.path + (f"?{parts.query}" if parts.query else ""), data, headers or {})
            response = connection.getresponse()
            assert response.getheader("Content-Type") == "application/json"
            return response.status, json.loads(response.read())
        finally:
            connection.close()

    return await trio.to_thread.run_sync(exchange)


def closed_port_url():
    """The URL of a port nobody listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return "http://127.0.0.1:%d/" % sock.getsockname()[1]
