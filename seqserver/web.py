"""The web side of the server's one port: the GUI's static files and its websocket.

The server's listener hands over every connection whose first bytes look like
HTTP (an ASCII letter). Requests are parsed with h11; ``GET /ws`` asking for a
websocket upgrade is given to trio-websocket, over a stream that first replays
the bytes h11 already consumed, and the resulting websocket becomes one more
protocol client of the server (one msgpack map per binary frame); ``POST
/signin`` trades the access token for a cookie. Every other GET serves a file
shipped in the package's ``gui/`` folder. :mod:`seqserver.webguard` decides who
may ask (``Host``, ``Origin``, the sign-in cookie) and which headers protect the page.
"""
from __future__ import annotations

import importlib.resources
import posixpath
import urllib.parse

import h11
import structlog
import trio
import trio_websocket

import protocol
from seqclient.outbox import Parcel, wire_bytes
from seqserver.server import ReplayStream, peer_of
from seqserver.keys import Principal
from seqserver.webguard import SECURITY_HEADERS, WebGuard

log = structlog.get_logger("seqserver.web")

GUI_ROOT = importlib.resources.files("seqserver") / "gui"
WEBSOCKET_PATH = "/ws"
SIGN_IN_PATH = "/signin"
MAX_SIGN_IN_BODY = 4096  # bytes of a sign-in form: a token and little else
RECEIVE_SIZE = 16384
REQUEST_TIMEOUT = 30  # seconds a client may take to send one request's headers
BATCHED = "seq.batched"  # websocket subprotocol: several messages, back to back, in one frame to the client

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".json": "application/json",
    ".txt": "text/plain; charset=utf-8",
}


class WebSocketTransport:
    """A websocket as a protocol transport: one msgpack map per binary frame."""

    def __init__(self, websocket: trio_websocket.WebSocketConnection, peer: str,
                 signed_in: Principal | None = None):
        self.peer = peer
        self.signed_in = signed_in  # who the browser's sign-in cookie says it is: no token needed in hello
        self._websocket = websocket

    async def receive_into(self, connection: protocol.Connection) -> None:
        try:
            connection.receive_frame(await self._websocket.get_message())
        except trio_websocket.ConnectionClosed:
            connection.receive_data(b"")

    async def send(self, batch: list[Parcel]) -> None:
        for parcel in batch:
            for message, _ in parcel.messages:
                await self._send_frame(message)

    async def _send_frame(self, data: bytes) -> None:
        try:
            await self._websocket.send_message(data)
        except trio_websocket.ConnectionClosed:
            raise trio.BrokenResourceError(f"websocket {self.peer} closed") from None

    async def aclose(self) -> None:
        await self._websocket.aclose()


class BatchedWebSocketTransport(WebSocketTransport):
    """A websocket whose client asked for ``seq.batched``: each batch of queued messages goes out
    in one frame, as the bytes they were encoded in. A browser pays for every frame, so a flood
    of events in frames of their own keeps a page seconds behind the run."""

    async def send(self, batch: list[Parcel]) -> None:
        await self._send_frame(wire_bytes(batch))


def _header(request: h11.Request, name: bytes) -> str | None:
    """A request header's value (h11 gives names in lower case), or None when absent."""
    for key, value in request.headers:
        if key == name:
            return value.decode("latin-1")
    return None


def _path(request: h11.Request) -> bytes:
    return request.target.split(b"?")[0]


def _is_websocket_upgrade(request: h11.Request) -> bool:
    return (
        request.method == b"GET"
        and _path(request) == WEBSOCKET_PATH.encode()
        and (_header(request, b"upgrade") or "").lower() == "websocket"
    )


def resolve_asset(target: bytes):
    """The packaged file a request target names, or None (unknown or unsafe path)."""
    path = urllib.parse.unquote(target.decode("ascii", "replace").split("?")[0])
    if path.endswith("/"):
        path += "index.html"
    parts = path.split("/")[1:]
    if not path.startswith("/") or any(p in ("", ".", "..") or "\\" in p for p in parts):
        return None
    asset = GUI_ROOT
    for part in parts:
        asset = asset / part
    return asset if asset.is_file() else None


def _content_type(asset) -> str:
    return CONTENT_TYPES.get(posixpath.splitext(asset.name)[1], "application/octet-stream")


class _HttpConnection:
    """One HTTP/1.1 connection: requests served in turn until it closes or upgrades."""

    def __init__(self, stream: trio.abc.Stream, first_bytes: bytes):
        self.stream = stream
        self.h11 = h11.Connection(h11.SERVER)
        self.h11.receive_data(first_bytes)
        self.raw_request = first_bytes  # bytes of the current request, for an upgrade

    async def next_event(self):
        while True:
            event = self.h11.next_event()
            if event is not h11.NEED_DATA:
                return event
            data = await self.stream.receive_some(RECEIVE_SIZE)
            self.raw_request += data
            self.h11.receive_data(data)

    async def send(self, *events) -> None:
        for event in events:
            data = self.h11.send(event)
            if data:
                await self.stream.send_all(data)

    async def respond(self, status: int, body: bytes, content_type: str, head: bool = False,
                      extra_headers: tuple[tuple[str, str], ...] = ()):
        headers = [
            ("Content-Type", content_type),
            ("Content-Length", str(len(body))),
            ("Cache-Control", "no-cache"),
            *SECURITY_HEADERS,
            *extra_headers,
        ]
        if status == 405:
            headers.append(("Allow", "GET, HEAD, POST"))
        await self.send(
            h11.Response(status_code=status, headers=headers),
            h11.Data(data=b"" if head else body),
            h11.EndOfMessage(),
        )

    async def refuse(self, status: int, text: str) -> None:
        await self.respond(status, f"{text}\n".encode(), CONTENT_TYPES[".txt"])

    async def body(self, limit: int) -> bytes | None:
        """The request's body, or None when it is larger than ``limit`` bytes."""
        body = b""
        while not isinstance(event := await self.next_event(), h11.EndOfMessage):
            if isinstance(event, h11.Data):
                body += event.data
                if len(body) > limit:
                    return None
        return body

    async def sign_in(self, request: h11.Request, guard: WebGuard) -> None:
        """``POST /signin`` with the form ``token=...``: the sign-in cookie, or 403."""
        body = await self.body(MAX_SIGN_IN_BODY)
        if body is None:
            await self.refuse(413, "a sign-in is a token and nothing else")
            return
        cookie = guard.sign_in(body)
        if cookie is None:
            await self.refuse(403, "wrong token")
        else:
            await self.respond(200, b"signed in\n", CONTENT_TYPES[".txt"], extra_headers=(("Set-Cookie", cookie),))

    async def serve_file(self, request: h11.Request) -> None:
        if request.method not in (b"GET", b"HEAD"):
            await self.respond(405, b"method not allowed\n", CONTENT_TYPES[".txt"])
            return
        asset = resolve_asset(request.target)
        head = request.method == b"HEAD"
        if asset is None:
            await self.respond(404, b"not found\n", CONTENT_TYPES[".txt"], head)
        else:
            await self.respond(200, asset.read_bytes(), _content_type(asset), head)

    def start_next_request(self) -> bool:
        """Prepare for the next request on this connection; False when it must close."""
        if self.h11.our_state is not h11.DONE or self.h11.their_state is not h11.DONE:
            return False
        self.h11.start_next_cycle()
        self.raw_request = self.h11.trailing_data[0]
        return True


async def handle_http(server, stream: trio.abc.Stream, first_bytes: bytes) -> None:
    """Serve one connection that began with ``first_bytes`` of an HTTP request.

    Static files are served until the client closes; a websocket upgrade on
    ``/ws`` turns the connection into a protocol client of ``server``.
    """
    peer = peer_of(stream)
    guard: WebGuard = server.web_guard
    connection = _HttpConnection(stream, first_bytes)
    try:
        while True:
            with trio.move_on_after(REQUEST_TIMEOUT) as timeout:
                event = await connection.next_event()
            if timeout.cancelled_caught or not isinstance(event, h11.Request):
                return
            host = _header(event, b"host")
            acting = _is_websocket_upgrade(event) or event.method == b"POST"
            problem = guard.host_problem(host) or (
                guard.origin_problem(_header(event, b"origin"), host) if acting else None)
            if problem is not None:
                log.warning("web request refused", peer=peer, target=event.target[:80], problem=problem)
                await connection.refuse(403, problem)
                return
            if _is_websocket_upgrade(event):
                signed_in = guard.signed_in(_header(event, b"cookie"))
                await _serve_websocket(server, ReplayStream(stream, connection.raw_request), peer, signed_in)
                return
            if event.method == b"POST" and _path(event) == SIGN_IN_PATH.encode():
                with trio.move_on_after(REQUEST_TIMEOUT) as timeout:
                    await connection.sign_in(event, guard)
                if timeout.cancelled_caught:
                    return
            else:
                await connection.serve_file(event)
            with trio.move_on_after(REQUEST_TIMEOUT):
                while connection.h11.their_state is h11.SEND_BODY:  # drain a body nobody asked for
                    await connection.next_event()
            if not connection.start_next_request():
                return
    except h11.RemoteProtocolError as exc:
        if connection.h11.our_state in (h11.IDLE, h11.SEND_RESPONSE):
            await connection.respond(exc.error_status_hint, f"{exc}\n".encode(), CONTENT_TYPES[".txt"])
    except (trio.BrokenResourceError, trio.ClosedResourceError):
        pass
    finally:
        with trio.CancelScope(shield=True):
            await trio.aclose_forcefully(stream)


async def refuse_http(stream: trio.abc.Stream, first_bytes: bytes, status: int, text: str) -> None:
    """Answer the one HTTP request that began with ``first_bytes`` with ``status`` and ``text``."""
    connection = _HttpConnection(stream, first_bytes)
    with trio.move_on_after(REQUEST_TIMEOUT):
        try:
            if isinstance(await connection.next_event(), h11.Request):
                await connection.respond(status, f"{text}\n".encode(), CONTENT_TYPES[".txt"])
        except h11.RemoteProtocolError:
            pass


async def _serve_websocket(server, stream: ReplayStream, peer: str, signed_in: Principal | None) -> None:
    websocket = None
    async with trio.open_nursery() as nursery:
        with trio.move_on_after(REQUEST_TIMEOUT):  # a handshake wsproto refuses never completes
            request = await trio_websocket.wrap_server_stream(
                nursery, stream, max_message_size=server.max_message_size
            )
            websocket = await request.accept(subprotocol=BATCHED if BATCHED in request.proposed_subprotocols else None)
        if websocket is None:
            nursery.cancel_scope.cancel()
            return
        kind = BatchedWebSocketTransport if websocket.subprotocol == BATCHED else WebSocketTransport
        transport = kind(websocket, peer, signed_in)
        try:
            await server.handle_client(transport)
        finally:
            await transport.aclose()
