"""The OTTO client: fetch the next OB, list the queue, report OB events (manual 3).

Speaks the JSON-over-HTTP interface of ``seqserver/TINO.md`` (tino, the OTTO
simulator, serves it). Calls block; from trio, run them in a thread with
``trio.to_thread.run_sync``. Whatever goes wrong on the way (OTTO down, slow, an
HTTP error, an answer that is not what the interface promises) is an OttoError
whose message says what happened, where.

:class:`OttoSession` is what the shell needs: ``fetch`` (fetch, keep as a file,
load with ``ob PATH``), the queue as text, and an :class:`OttoReporter` sending the
OB events (Initiated, Started, Executed) that ``seqshell.ob_events`` derives from
the kernel's events.
"""
from __future__ import annotations

import base64
import http.client
import json
import logging
import math
import os
import pathlib
import shlex
import urllib.error
import urllib.parse
import urllib.request

import trio

from seqclient.config import Config, OttoConfig
from seqshell.ob_events import OBEvent, OBEventTracker, ob_name

logger = logging.getLogger("seq.otto")

DEFAULT_TIMEOUT = 5.0


class OttoError(Exception):
    """OTTO could not be reached or did not answer as its interface promises."""


class QueueEmpty(OttoError):
    """Every OB of the queue has been fetched."""


class OttoClient:
    """One OTTO server, as configured in the ``otto`` section."""

    def __init__(self, config: OttoConfig, timeout: float = DEFAULT_TIMEOUT):
        if not config.url.startswith(("http://", "https://")):
            raise OttoError(f"OTTO url must start with http:// or https://, got {config.url!r}")
        self.config = config
        self.url = config.url if config.url.endswith("/") else config.url + "/"
        self.timeout = timeout

    def list_queue(self) -> dict:
        """The queue: ``{"instrument", "next", "obs": [{"obId", "name", "status", ...}]}``."""
        answer = self._request("GET", "ves", self._instrument_query())
        if not isinstance(answer.get("obs"), list):
            raise OttoError(f"OTTO at {self.url} answered GET /ves without a list of OBs")
        return answer

    def fetch_next(self) -> dict:
        """The next OB of the queue (OTTO moves the queue on): ``{"obId", "name", "ob", ...}``.
        QueueEmpty when every OB has been fetched."""
        answer = self._request("POST", "ves/next", self._instrument_query())
        ob = answer.get("ob")
        if not isinstance(ob, dict) or not _is_ob_id(ob.get("obId")):
            raise OttoError(f"OTTO at {self.url} answered POST /ves/next without an OB with an obId")
        return answer

    def report(self, ob_id: int, event: str) -> dict:
        """Tell OTTO that OB ``ob_id`` was ``Initiated``, ``Started`` or ``Executed``."""
        return self._request("POST", "events", "", {"obId": ob_id, "event": event})

    def events(self, ob_id: int | None = None) -> list[dict]:
        """The OB events OTTO received, oldest first."""
        query = "" if ob_id is None else urllib.parse.urlencode({"obId": ob_id})
        events = self._request("GET", "events", query).get("events")
        if not isinstance(events, list):
            raise OttoError(f"OTTO at {self.url} answered GET /events without a list of events")
        return events

    def _instrument_query(self) -> str:
        return urllib.parse.urlencode({"instrument": self.config.insid}) if self.config.insid else ""

    def _request(self, method: str, endpoint: str, query: str, body: dict | None = None) -> dict:
        what = f"{method} /{endpoint}"
        request = urllib.request.Request(
            self.url + endpoint + (f"?{query}" if query else ""),
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Accept": "application/json", "Content-Type": "application/json"},
        )
        if self.config.user:
            credentials = f"{self.config.user}:{self.config.password or ''}".encode()
            request.add_header("Authorization", "Basic " + base64.b64encode(credentials).decode())
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                data = response.read()
        except urllib.error.HTTPError as exc:
            raise self._refusal(what, exc) from None
        except urllib.error.URLError as exc:
            reason = exc.reason
            if isinstance(reason, TimeoutError):
                raise OttoError(f"OTTO at {self.url} did not answer {what} within {self.timeout:g} s") from None
            raise OttoError(f"OTTO at {self.url} is not reachable: {_why(reason)}") from None
        except TimeoutError:
            raise OttoError(f"OTTO at {self.url} did not answer {what} within {self.timeout:g} s") from None
        except (http.client.HTTPException, OSError) as exc:
            raise OttoError(f"OTTO at {self.url} did not answer {what} in HTTP: {_why(exc)}") from None
        try:
            answer = json.loads(data)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise OttoError(f"OTTO at {self.url} answered {what} with something not JSON: {data[:80]!r}") from None
        if not isinstance(answer, dict):
            raise OttoError(f"OTTO at {self.url} answered {what} with {type(answer).__name__}, not an object")
        return answer

    def _refusal(self, what: str, exc: urllib.error.HTTPError) -> OttoError:
        try:
            message = json.loads(exc.read())["error"]
        except (OSError, ValueError, TypeError, KeyError, http.client.HTTPException):
            return OttoError(f"OTTO at {self.url} answered {what} with HTTP {exc.code} {exc.reason}")
        error_class = QueueEmpty if what == "POST /ves/next" and exc.code == 404 else OttoError
        return error_class(f"OTTO at {self.url} refused {what}: {message} (HTTP {exc.code})")


def _why(reason: object) -> str:
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror.lower()
    return str(reason) or type(reason).__name__


def _is_ob_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def store_ob(ob: dict, directory: str | os.PathLike) -> pathlib.Path:
    """Write ``ob`` as ``directory/ob_<obId>.json`` (``ob_<obId>-2.json``... when that
    exists: a file once written is never overwritten); its path. OttoError naming
    the OB when it cannot be written, so the operator can fetch it again by obId."""
    directory = pathlib.Path(directory)
    path, copy = directory / f"ob_{ob['obId']}.json", 1
    try:
        directory.mkdir(parents=True, exist_ok=True)
        while True:
            try:
                with open(path, "x", encoding="utf-8") as file:
                    json.dump(ob, file, indent=2)
                return path
            except FileExistsError:
                copy += 1
                path = directory / f"ob_{ob['obId']}-{copy}.json"
    except OSError as exc:
        raise OttoError(f"OB {ob['obId']} was fetched but cannot be kept as {path}: {_why(exc)}") from None


def fetch_next(config: Config, directory: str | os.PathLike) -> tuple[dict, pathlib.Path]:
    """Fetch the next OB from the configured OTTO and keep it in ``directory`` (see
    :func:`store_ob`), ready for the ``ob PATH`` command; the OB and its file.

    The file is written before this returns, so an OB OTTO has moved past is never
    lost, even when loading it fails.
    """
    if config.otto is None:
        raise OttoError("OTTO is not configured: the configuration file has no otto section")
    ob = OttoClient(config.otto).fetch_next()["ob"]
    return ob, store_ob(ob, directory)


def format_queue(listing: dict) -> str:
    """The queue as the shell shows it, the next OB to fetch marked with ``>``."""
    lines = [f"OTTO queue of {listing.get('instrument') or 'every instrument'}:"]
    for ob in listing["obs"]:
        marker = ">" if ob.get("obId") == listing.get("next") else " "
        lines.append(f"{marker} {ob.get('obId')!s:>6}  {ob.get('status', ''):<10} {ob.get('name', '')}")
    if not listing["obs"]:
        lines.append("  (empty)")
    return "\n".join(lines)


class OttoReporter:
    """Reports the OB events of the OBs fetched from OTTO as the kernel's events arrive.

    :meth:`loaded` and :meth:`handle` never block: they queue the OB events, which
    :meth:`run` (a task of the caller's nursery) sends one after the other, so a
    slow OTTO never holds up the events on their way to the operator. OTTO being
    down is a problem handed to ``on_problem`` (a warning by default), never an
    exception: a run must not stop because OTTO is away.
    """

    def __init__(self, client: OttoClient, on_problem=None):
        self.client = client
        self.tracker = OBEventTracker()
        self.on_problem = on_problem or logger.warning
        # OB events are a handful per OB: the queue stays small while OTTO answers.
        self._send, self._receive = trio.open_memory_channel(math.inf)
        self._unsent = 0  # queued and not yet sent (nor given up)
        self._progress = trio.Event()  # set, and replaced, each time one is done with

    def loaded(self, ob: dict, snapshot: dict, source: str | None = None) -> None:
        """The OB fetched from OTTO was just loaded (from file ``source``): report it
        Initiated, follow its run. LookupError when ``snapshot`` does not hold it."""
        self._queue(self.tracker.loaded(ob, snapshot, source))

    def handle(self, event: dict) -> None:
        """Report what a kernel event means for the OBs followed (usually nothing)."""
        self._queue(self.tracker.feed(event))

    def _queue(self, ob_events: list[OBEvent]) -> None:
        for ob_event in ob_events:
            self._unsent += 1
            self._send.send_nowait(ob_event)

    async def sent(self) -> None:
        """Return once the OB events queued so far have been sent (or given up): what OTTO
        shows afterwards includes them."""
        while self._unsent:
            await self._progress.wait()

    async def run(self, task_status=trio.TASK_STATUS_IGNORED) -> None:
        task_status.started()
        async for ob_event in self._receive:
            try:
                await trio.to_thread.run_sync(self.client.report, ob_event.ob_id, ob_event.event)
            except OttoError as exc:
                self.on_problem(f"OB {ob_event.ob_id} {ob_event.event} not reported: {exc}")
            finally:
                self._unsent -= 1
                self._progress.set()
                self._progress = trio.Event()


class OttoSession:
    """OTTO as the shell uses it: fetch and load the next OB, list the queue, report
    OB events. Fetched OBs are kept as files in ``directory``.

    ``command`` is the shell's way to the kernel: an async callable taking a command
    line and returning its reply (with ``ok``, ``output``, ``error``, ``data``).
    Start :meth:`OttoReporter.run` of ``self.reporter`` in a nursery and feed it
    every kernel event with ``self.reporter.handle(event)``.
    """

    def __init__(self, config: OttoConfig, directory: str | os.PathLike, on_problem=None):
        self.client = OttoClient(config)  # replaced by reconfigure()
        self.directory = pathlib.Path(directory).resolve()
        self.reporter = OttoReporter(self.client, on_problem)

    async def fetch(self, command) -> tuple[pathlib.Path, str]:
        """Fetch the next OB, keep it, load it with ``ob PATH``: the file it was kept in, and what to
        show the operator. OttoError when OTTO fails or the kernel refuses the OB (which stays in its file)."""
        fetched = await trio.to_thread.run_sync(self.client.fetch_next)
        ob = fetched["ob"]
        path = await trio.to_thread.run_sync(store_ob, ob, self.directory)
        said = [f"fetched OB {ob['obId']} {ob_name(ob)!r} from OTTO"
                f" ({fetched.get('remaining', '?')} left in the queue), kept as {path}"]
        loaded = await command(shlex.join(["ob", str(path)]))
        if not loaded.ok:
            raise OttoError("\n".join(said + [f"loading it failed: {loaded.error}",
                                               f"once fixed, load it with: ob {path}"]))
        said += [loaded.output] if loaded.output else []
        snapshot = await command("snapshot")
        try:
            self.reporter.loaded(ob, snapshot.data if snapshot.ok else {}, str(path))
        except LookupError as exc:
            said.append(f"its OB events will not be reported to OTTO: {exc}")
        return path, "\n".join(said)

    async def list_queue(self) -> dict:
        """The queue (see :meth:`OttoClient.list_queue`; :func:`format_queue` shows it), once
        the OB events this shell has to report are sent, so that it shows them."""
        await self.reporter.sent()
        return await trio.to_thread.run_sync(self.client.list_queue)

    @property
    def config(self) -> OttoConfig:
        return self.client.config

    def reconfigure(self, config: OttoConfig) -> None:
        """Talk to another OTTO (the GUI's OTTO Config dialog); the OBs already
        fetched keep being reported, to the new one."""
        self.client = self.reporter.client = OttoClient(config)
