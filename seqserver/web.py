"""The web side of the server's one port: the GUI's static files and its websocket.

The server's listener hands over every connection whose first bytes look like
HTTP (an ASCII letter). Requests are parsed with h11; ``GET /ws`` asking for a
websocket upgrade is given to trio-websocket, over a stream that first replays
the bytes h11 already consumed, and the resulting websocket becomes one more
protocol client of the server (one msgpack map per binary frame). Every other
GET serves a file shipped in the package's ``gui/`` folder.
"""
from __future__ import annotations

import importlib.resources
import posixpath
import urllib.parse

import h11
import trio
import trio_websocket

import protocol
from seqserver.server import ReplayStream, peer_of

GUI_ROOT = importlib.resources.files("seqserver") / "gui"
WEBSOCKET_PATH = "/ws"
RECEIVE_SIZE = 16384
REQUEST_TIMEOUT = 30  # seconds a client may take to send one request's headers

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

    def __init__(self, websocket: trio_websocket.WebSocketConnection, peer: str, max_size: int):
        self.peer = peer
        self._websocket = websocket
        self._max_size = max_size

    async def send(self, message: dict) -> None:
        data = protocol.encode(protocol.from_dict(message))
        try:
            await self._websocket.send_message(data)
        except trio_websocket.ConnectionClosed:
            raise trio.BrokenResourceError(f"websocket {self.peer} closed") from None

    async def receive(self) -> dict | None:
        """The next message, or None once the browser has gone."""
        try:
            frame = await self._websocket.get_message()
        except trio_websocket.ConnectionClosed:
            return None
        if isinstance(frame, str):
            raise protocol.ProtocolError("text frame: send each message as one binary frame")
        decoder = protocol.Decoder(self._max_size)  # frames stand alone: nothing carries over
        messages = decoder.feed(frame)
        if len(messages) != 1 or decoder.buffered:
            raise protocol.ProtocolError("a binary frame must hold exactly one whole message")
        return messages[0].to_dict()

    async def aclose(self) -> None:
        await self._websocket.aclose()


def _header(request: h11.Request, name: bytes) -> bytes:
    for key, value in request.headers:
        if key == name:
            return value.lower()
    return b""


def _is_websocket_upgrade(request: h11.Request) -> bool:
    return (
        request.method == b"GET"
        and request.target.split(b"?")[0] == WEBSOCKET_PATH.encode()
        and _header(request, b"upgrade") == b"websocket"
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

    async def respond(self, status: int, body: bytes, content_type: str, head: bool = False):
        headers = [
            ("Content-Type", content_type),
            ("Content-Length", str(len(body))),
            ("Cache-Control", "no-cache"),
            ("X-Content-Type-Options", "nosniff"),
        ]
        if status == 405:
            headers.append(("Allow", "GET, HEAD"))
        await self.send(
            h11.Response(status_code=status, headers=headers),
            h11.Data(data=b"" if head else body),
            h11.EndOfMessage(),
        )

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
    connection = _HttpConnection(stream, first_bytes)
    try:
        while True:
            with trio.move_on_after(REQUEST_TIMEOUT) as timeout:
                event = await connection.next_event()
            if timeout.cancelled_caught or not isinstance(event, h11.Request):
                return
            if _is_websocket_upgrade(event):
                await _serve_websocket(server, ReplayStream(stream, connection.raw_request), peer)
                return
            await connection.serve_file(event)
            while not isinstance(event, h11.EndOfMessage):  # drain a request body
                event = await connection.next_event()
                if event is h11.PAUSED or isinstance(event, h11.ConnectionClosed):
                    return
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


async def _serve_websocket(server, stream: ReplayStream, peer: str) -> None:
    websocket = None
    async with trio.open_nursery() as nursery:
        with trio.move_on_after(REQUEST_TIMEOUT):  # a handshake wsproto refuses never completes
            request = await trio_websocket.wrap_server_stream(
                nursery, stream, max_message_size=server.max_message_size
            )
            websocket = await request.accept()
        if websocket is None:
            nursery.cancel_scope.cancel()
            return
        transport = WebSocketTransport(websocket, peer, server.max_message_size)
        try:
            await server.handle_client(transport)
        finally:
            await transport.aclose()
