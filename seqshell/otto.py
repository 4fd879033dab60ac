"""The OTTO client: fetch the next OB, list the queue, report OB events (manual 3).

Speaks the JSON-over-HTTP interface of ``seqserver/TINO.md`` (tino, the OTTO
simulator, serves it). Calls block; from trio, run them in a thread with
``trio.to_thread.run_sync``. Whatever goes wrong on the way (OTTO down, slow, an
HTTP error, an answer that is not what the interface promises) is an OttoError
whose message says what happened, where.

:class:`OBEventTracker` turns the kernel's ``state`` events of a loaded OB into
the OB events OTTO wants (Initiated, Started, Executed); :class:`OttoReporter`
sends them.
"""
from __future__ import annotations

import base64
import dataclasses
import http.client
import json
import logging
import os
import pathlib
import urllib.error
import urllib.parse
import urllib.request

import trio

from seqshell.config import Config, OttoConfig

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
        return self._request("GET", "events", query)["events"]

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


def fetch_next(config: Config, directory: str | os.PathLike, client: OttoClient | None = None) -> tuple[dict, pathlib.Path]:
    """Fetch the next OB from the configured OTTO and keep it as ``directory/ob_<obId>.json``
    (``ob_<obId>-2.json``... when fetched again), ready for the ``ob PATH`` command.

    The file is written before this returns, so an OB OTTO has moved past is never
    lost, even when loading it fails.
    """
    if config.otto is None:
        raise OttoError("OTTO is not configured: the configuration file has no otto section")
    client = client or OttoClient(config.otto)
    ob = client.fetch_next()["ob"]
    directory = pathlib.Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path, copy = directory / f"ob_{ob['obId']}.json", 1
    while True:
        try:
            with open(path, "x", encoding="utf-8") as file:
                json.dump(ob, file, indent=2)
            return ob, path
        except FileExistsError:
            copy += 1
            path = directory / f"ob_{ob['obId']}-{copy}.json"


@dataclasses.dataclass(frozen=True)
class OBEvent:
    ob_id: int
    event: str  # Initiated, Started or Executed
    name: str


def find_ob_node(snapshot: dict, name: str) -> dict | None:
    """The OB node (type ``O``) called ``name`` loaded last (highest serial number)."""
    found = None
    for node in _walk(snapshot.get("scripts", [])):
        if node.get("type") == "O" and node.get("name") == name and (found is None or node["sn"] > found["sn"]):
            found = node
    return found


def _walk(nodes):
    for node in nodes:
        yield node
        yield from _walk(node.get("children", []))


@dataclasses.dataclass
class _TrackedOB:
    ob_id: int
    name: str
    phase: str = "Initiated"


class OBEventTracker:
    """Which OB events the kernel's events mean, for the OBs fetched from OTTO.

    Sans I/O: :meth:`loaded` and :meth:`feed` return the OB events to report; the
    caller sends them. The OB node going ``RUNNING`` means Started (its first node
    starts), ``FINISHED`` without ``ERROR`` or ``SKIP`` means Executed (Started first
    if it went unseen). A retry after an error reports nothing new until the OB
    finishes; a reset (``NOT_STARTED``) makes the next run report Started again.
    """

    def __init__(self):
        self._by_sn: dict[int, _TrackedOB] = {}

    def loaded(self, ob: dict, snapshot: dict) -> list[OBEvent]:
        """Track the OB just loaded (found in ``snapshot`` by its name); Initiated."""
        name = _ob_name(ob)
        node = find_ob_node(snapshot, name)
        if node is None:
            raise LookupError(f"no OB node called {name!r} in the loaded tree")
        tracked = _TrackedOB(ob["obId"], name)
        self._by_sn[node["sn"]] = tracked
        return [OBEvent(tracked.ob_id, "Initiated", name)]

    def feed(self, event: dict) -> list[OBEvent]:
        """The OB events one protocol event means (usually none)."""
        if event.get("kind") == "tree":
            self._relocate(event.get("snapshot") or {}, event.get("action"))
            return []
        tracked = self._by_sn.get(event.get("sn")) if event.get("kind") == "state" else None
        if tracked is None:
            return []
        state = event.get("state", "").split("|")
        report = []
        if state[0] == "NOT_STARTED":
            tracked.phase = "Initiated"
        elif state[0] == "RUNNING" and tracked.phase == "Initiated":
            report.append("Started")
        elif state[0] == "FINISHED" and not {"ERROR", "SKIP"} & set(state) and tracked.phase != "Executed":
            report += ["Started", "Executed"] if tracked.phase == "Initiated" else ["Executed"]
        if report:
            tracked.phase = report[-1]
        return [OBEvent(tracked.ob_id, name, tracked.name) for name in report]

    def _relocate(self, snapshot: dict, action: str | None) -> None:
        """Follow the tracked OBs into a new tree (a restored chain renumbers nodes)."""
        if action == "cleared":
            self._by_sn.clear()
            return
        nodes = {node["sn"]: node for node in _walk(snapshot.get("scripts", [])) if node.get("type") == "O"}
        relocated = {}
        for sn, tracked in self._by_sn.items():
            node = nodes.get(sn)
            if node is None or node.get("name") != tracked.name:
                node = find_ob_node(snapshot, tracked.name)
            if node is None:
                logger.warning("OB %s %r is no longer loaded; its events are no longer reported",
                               tracked.ob_id, tracked.name)
                continue
            relocated[node["sn"]] = tracked
        self._by_sn = relocated


def _ob_name(ob: dict) -> str:
    """The OB node's name: ``obsDescription.name``, as the tree shows it."""
    description = ob.get("obsDescription")
    if isinstance(description, dict) and description.get("name"):
        return str(description["name"])
    return str(ob.get("name", ""))


class OttoReporter:
    """Reports the OB events of the OBs fetched from OTTO as the kernel's events arrive.

    Feed it every protocol event with :meth:`handle` (async, from trio): the OB
    events are sent from a worker thread, in order. OTTO being down is logged as a
    warning and returned, never raised: a run must not stop because OTTO is away.
    Give it its own task, fed through a memory channel, so that a slow OTTO never
    holds up the display of other events.
    """

    def __init__(self, client: OttoClient, tracker: OBEventTracker | None = None):
        self.client = client
        self.tracker = tracker or OBEventTracker()

    async def loaded(self, ob: dict, snapshot: dict) -> list[str]:
        return await self._send(self.tracker.loaded(ob, snapshot))

    async def handle(self, event: dict) -> list[str]:
        """Report what ``event`` means; the problems met, as messages to show."""
        return await self._send(self.tracker.feed(event))

    async def _send(self, ob_events: list[OBEvent]) -> list[str]:
        problems = []
        for ob_event in ob_events:
            try:
                await trio.to_thread.run_sync(self.client.report, ob_event.ob_id, ob_event.event)
            except OttoError as exc:
                message = f"OB {ob_event.ob_id} {ob_event.event} not reported: {exc}"
                logger.warning(message)
                problems.append(message)
        return problems
