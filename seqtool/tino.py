"""TINO, friend of OTTO: the OTTO simulator (manual 3.2).

``seqtool tino PATH [--port N]`` serves the OB files of folder PATH as a queue
(the visitor execution sequence, VES) over HTTP with JSON bodies: list the queue,
fetch the next OB, report OB events. Only the OBs of the configured instrument
are served. The endpoints are specified in ``seqtool/TINO.md``.

Built on the standard library's ``http.server``: a simulator for one night's
testing needs no more, and no dependency.
"""
from __future__ import annotations

import argparse
import base64
import dataclasses
import json
import logging
import pathlib
import signal
import sys
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from seqclient.config import ConfigError, load_config
from seqshell.ob_events import ob_name

OB_EVENTS = ("Initiated", "Started", "Executed")
MAX_BODY_BYTES = 1 << 20

logger = logging.getLogger("seq.tino")


class TinoError(Exception):
    """A request tino refuses: carries the HTTP status and the message sent back."""

    def __init__(self, status: HTTPStatus, message: str):
        super().__init__(message)
        self.status = status


@dataclasses.dataclass
class QueuedOB:
    ob: dict
    file: str
    status: str = "Queued"

    @property
    def ob_id(self) -> int:
        return self.ob["obId"]

    @property
    def name(self) -> str:
        return ob_name(self.ob)

    def summary(self) -> dict:
        return {
            "obId": self.ob_id,
            "name": self.name,
            "instrument": self.ob.get("instrument"),
            "file": self.file,
            "status": self.status,
        }


def read_ob_folder(folder: pathlib.Path, instrument: str | None) -> tuple[list[QueuedOB], list[str]]:
    """The OBs of ``folder`` (``*.json``, by file name) for ``instrument`` (any when
    None), and a line saying what became of each file."""
    queue, report, ids = [], [], {}
    for path in sorted(folder.glob("*.json")):
        try:
            ob = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            report.append(f"  {path.name}: skipped, not readable JSON ({exc})")
            continue
        if not isinstance(ob, dict) or not isinstance(ob.get("templates"), list):
            report.append(f'  {path.name}: skipped, not an OB (no "templates" list)')
        elif not isinstance(ob.get("obId"), int) or isinstance(ob.get("obId"), bool):
            report.append(f'  {path.name}: skipped, "obId" must be an integer')
        elif instrument is not None and ob.get("instrument") != instrument:
            report.append(f"  {path.name}: skipped, instrument {ob.get('instrument')!r}")
        elif ob["obId"] in ids:
            report.append(f"  {path.name}: skipped, obId {ob['obId']} is already {ids[ob['obId']]}")
        else:
            ids[ob["obId"]] = path.name
            queue.append(QueuedOB(ob, path.name))
            report.append(f"  {path.name}: obId {ob['obId']} {queue[-1].name!r}")
    return queue, report


class VisitorExecutionSequence:
    """The queue tino serves and the OB events it received; safe to share between
    the server's request threads."""

    def __init__(self, queue: list[QueuedOB], instrument: str | None):
        self.instrument = instrument
        self._queue = queue
        self._next = 0
        self._events: list[dict] = []
        self._lock = threading.Lock()

    def check_instrument(self, requested: str | None) -> None:
        if requested and self.instrument and requested != self.instrument:
            raise TinoError(
                HTTPStatus.CONFLICT,
                f"tino serves the OBs of {self.instrument}, not of {requested}",
            )

    def listing(self) -> dict:
        with self._lock:
            return {
                "instrument": self.instrument,
                "next": self._queue[self._next].ob_id if self._next < len(self._queue) else None,
                "obs": [entry.summary() for entry in self._queue],
            }

    def fetch_next(self) -> dict:
        """The next OB not fetched yet; the queue moves on past it."""
        with self._lock:
            if self._next >= len(self._queue):
                raise TinoError(
                    HTTPStatus.NOT_FOUND,
                    f"the queue is empty: all {len(self._queue)} OBs have been fetched",
                )
            entry = self._queue[self._next]
            self._next += 1
            entry.status = "Fetched"
            return {**entry.summary(), "remaining": len(self._queue) - self._next, "ob": entry.ob}

    def get(self, ob_id: int) -> dict:
        with self._lock:
            entry = self._find(ob_id)
            return {**entry.summary(), "ob": entry.ob}

    def record(self, ob_id: int, event: str, user: str | None) -> dict:
        with self._lock:
            entry = self._find(ob_id)
            entry.status = event
            record = {
                "seq": len(self._events) + 1,
                "ts": time.time(),
                "obId": ob_id,
                "name": entry.name,
                "event": event,
                "user": user,
            }
            self._events.append(record)
            return record

    def events(self, ob_id: int | None = None) -> list[dict]:
        with self._lock:
            return [e for e in self._events if ob_id is None or e["obId"] == ob_id]

    def _find(self, ob_id: int) -> QueuedOB:
        for entry in self._queue:
            if entry.ob_id == ob_id:
                return entry
        raise TinoError(HTTPStatus.NOT_FOUND, f"no OB with obId {ob_id} in the queue")


class TinoServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, ves: VisitorExecutionSequence):
        self.ves = ves
        super().__init__(address, TinoRequestHandler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/"


class TinoRequestHandler(BaseHTTPRequestHandler):
    """Routes each request to a method of the queue; every answer is JSON."""

    # path (``*``: an obId) -> HTTP method -> the handler method, called with (path, query)
    ROUTES = {
        "/": {"GET": "_about"},
        "/ves": {"GET": "_list"},
        "/ves/next": {"POST": "_fetch_next"},
        "/obs/*": {"GET": "_get_ob"},
        "/events": {"GET": "_list_events", "POST": "_post_event"},
    }

    server: TinoServer
    server_version = "tino/1"
    timeout = 30  # a client that stops sending mid-request loses its connection

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def _dispatch(self, method: str) -> None:
        url = urlsplit(self.path)
        query = {key: values[-1] for key, values in parse_qs(url.query).items()}
        path = url.path.rstrip("/") or "/"
        methods = self.ROUTES.get("/obs/*" if path.startswith("/obs/") else path)
        try:
            if methods is None:
                raise TinoError(HTTPStatus.NOT_FOUND, f"no such endpoint: {path} (see GET /)")
            if method not in methods:
                allowed = ", ".join(sorted(methods))
                self._send_error(HTTPStatus.METHOD_NOT_ALLOWED,
                                 f"{method} is not allowed on {path} (use {allowed})", {"Allow": allowed})
                return
            status, body = getattr(self, methods[method])(path, query)
        except TinoError as exc:
            self._send_error(exc.status, str(exc))
            return
        self._send_json(status, body)

    def _about(self, path, query):
        return HTTPStatus.OK, {
            "service": "tino, friend of OTTO",
            "instrument": self.server.ves.instrument,
            "endpoints": [
                f"{method} {path.replace('*', '<obId>')}"
                for path, methods in self.ROUTES.items()
                for method in methods
            ],
        }

    def _list(self, path, query):
        self.server.ves.check_instrument(query.get("instrument"))
        return HTTPStatus.OK, self.server.ves.listing()

    def _fetch_next(self, path, query):
        self.server.ves.check_instrument(query.get("instrument"))
        fetched = self.server.ves.fetch_next()
        print(f"{_now()} fetched OB {fetched['obId']} {fetched['name']!r}"
              f" ({fetched['remaining']} left)", flush=True)
        return HTTPStatus.OK, fetched

    def _get_ob(self, path, query):
        return HTTPStatus.OK, self.server.ves.get(_ob_id(path.removeprefix("/obs/")))

    def _list_events(self, path, query):
        ob_id = _ob_id(query["obId"]) if "obId" in query else None
        return HTTPStatus.OK, {"events": self.server.ves.events(ob_id)}

    def _post_event(self, path, query):
        body = self._read_json()
        if not isinstance(body, dict):
            raise TinoError(HTTPStatus.BAD_REQUEST, 'expected {"obId": N, "event": "Started"}')
        ob_id = body.get("obId")
        if not isinstance(ob_id, int) or isinstance(ob_id, bool):
            raise TinoError(HTTPStatus.BAD_REQUEST, f'"obId" must be an integer, got {json.dumps(ob_id)}')
        event = body.get("event")
        if event not in OB_EVENTS:
            raise TinoError(
                HTTPStatus.BAD_REQUEST,
                f'"event" must be one of {", ".join(OB_EVENTS)}, got {json.dumps(event)}',
            )
        record = self.server.ves.record(ob_id, event, self._user())
        print(f"{_now()} OB {ob_id} {record['name']!r} {event}", flush=True)
        return HTTPStatus.CREATED, record

    def _read_json(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            raise TinoError(HTTPStatus.LENGTH_REQUIRED, "send the body with a Content-Length")
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            raise TinoError(HTTPStatus.BAD_REQUEST, "Content-Length must be a number") from None
        if length > MAX_BODY_BYTES or length < 0:
            self.close_connection = True
            raise TinoError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                            f"the body must be at most {MAX_BODY_BYTES} bytes")
        try:
            return json.loads(self.rfile.read(length))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise TinoError(HTTPStatus.BAD_REQUEST, f"the body is not JSON: {exc}") from None

    def _user(self) -> str | None:
        """The user named by HTTP basic authentication (recorded, not checked)."""
        scheme, _, credentials = self.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            return base64.b64decode(credentials, validate=True).decode().partition(":")[0]
        except ValueError:
            return None

    def _send_json(self, status: HTTPStatus, body, headers: dict | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        for name, value in {"Content-Type": "application/json", **(headers or {})}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def send_error(self, code, message=None, explain=None):
        """Errors http.server finds itself (malformed request line, unsupported method)."""
        self._send_error(HTTPStatus(code), message or HTTPStatus(code).phrase)

    def _send_error(self, status: HTTPStatus, message: str, headers: dict | None = None) -> None:
        """Every error as ``{"error": ..., "status": ...}``; the connection is closed after it."""
        self.log_error("code %d, message %s", status.value, message)
        self.close_connection = True
        self._send_json(status, {"error": message, "status": status.value}, headers)

    def log_message(self, format, *args):
        logger.info("%s %s", self.address_string(), format % args)


def _ob_id(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise TinoError(HTTPStatus.BAD_REQUEST, f"obId must be an integer, got {text!r}") from None


def _now() -> str:
    return time.strftime("%H:%M:%S")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Friend of OTTO: serves the OB files of PATH over HTTP as OTTO does, "
        "only those of the configured instrument."
    )
    parser.add_argument("path", metavar="PATH", type=pathlib.Path, help="folder of OB files (*.json)")
    parser.add_argument("--port", type=int, default=5000, help="Tino server port [default: 5000; 0: any free port]")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on [default: 127.0.0.1]")
    parser.add_argument("--instrument", help="serve only the OBs of this instrument [default: otto.insid of --config]")
    parser.add_argument("--config", help="sequencer configuration file (absolute, or relative to CFGPATH)")


def main(args: argparse.Namespace) -> int:
    logging.basicConfig(level=getattr(args, "log_level", "INFO"),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    instrument = args.instrument
    if instrument is None and args.config:
        try:
            config = load_config(args.config)
        except ConfigError as exc:
            print(f"tino: {exc}", file=sys.stderr)
            return 2
        instrument = config.otto.insid if config.otto else None
    if not args.path.is_dir():
        print(f"tino: {args.path} is not a folder", file=sys.stderr)
        return 2

    print(f"Loading OB files from {args.path} for instrument {instrument or '(any)'}:", flush=True)
    queue, report = read_ob_folder(args.path, instrument)
    print("\n".join(report), flush=True)
    try:
        server = TinoServer((args.host, args.port), VisitorExecutionSequence(queue, instrument))
    except OSError as exc:
        print(f"tino: cannot listen on {args.host}:{args.port}: {exc.strerror}", file=sys.stderr)
        return 1
    signal.signal(signal.SIGTERM, _stop)
    print(f"* {len(queue)} OBs in the queue", flush=True)
    print(f"* Running on {server.url} (Press CTRL+C to quit)", flush=True)
    with server:
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            print("tino stopped", flush=True)
    return 0


def _stop(signum, frame):
    raise KeyboardInterrupt


if __name__ == "__main__":
    from seqtool.cli import main as seqtool_main

    sys.exit(seqtool_main(["tino", *sys.argv[1:]]))
