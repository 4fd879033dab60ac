"""seqserver.web over real sockets: the GUI's files, the websocket transport, and who may use them.

The listener here does what the server's does (read the first bytes, hand HTTP to
``handle_http``); a small echo server stands behind the transport, so these tests
exercise web.py and its guard alone. The GUI tests run the whole chain.
"""
import functools
import http.client
import io
import socket

import msgpack
import pytest
import trio
import trio.testing
import trio_websocket

import protocol
from seqclient.outbox import Parcel
from seqserver import web
from seqserver.keys import Keys, Principal
from seqserver.webguard import WebGuard

TOKEN = "s3cret-token"
WATCHER_TOKEN = "watcher-token"
OPERATOR = Principal("operator", "night-ops")
WATCHER = Principal("observer", "wall")


class EchoServer:
    """Answers hello with welcome and each command with a reply echoing its line; ``burst`` with three
    replies at once, as the server sends a batch (two in one parcel, as a burst of events is queued):
    in one piece where the transport takes one."""

    max_message_size = 1024 * 1024

    def __init__(self):
        self.peers = []
        self.signed_in = []  # for each websocket: who its sign-in cookie says it is
        self.web_guard = WebGuard(Keys({TOKEN: OPERATOR, WATCHER_TOKEN: WATCHER}), allowed_hosts=["sequencer.example"],
                                  allowed_origins=["https://portal.example"])

    async def handle_client(self, transport):
        self.peers.append(transport.peer)
        self.signed_in.append(transport.signed_in)
        connection = protocol.Connection(protocol.SERVER, name="echo")
        while True:
            event = connection.next_event()
            if event is protocol.NEED_DATA:
                await transport.receive_into(connection)
            elif event is protocol.ENDED:
                return
            elif isinstance(event, protocol.Refused):
                await transport.send([Parcel.one(connection.send(event.answer))])
            elif isinstance(event, protocol.Hello):
                welcome = protocol.Welcome(version=1, server="echo", snapshot={})
                await transport.send([Parcel.one(connection.welcome(welcome))])
            elif event.line == "burst":  # three replies handed to the transport at once
                first, second, third = (connection.send(protocol.Reply(id=event.id, ok=True, output=str(n)))
                                        for n in range(3))
                await transport.send([Parcel.of([(first, None), (second, None)]), Parcel.one(third)])
            else:
                reply = protocol.Reply(id=event.id, ok=True, output=event.line)
                await transport.send([Parcel.one(connection.send(reply))])


@pytest.fixture
async def address(nursery):
    server = EchoServer()

    async def sniff(stream):
        first = await stream.receive_some(1)
        await web.handle_http(server, stream, first)

    listeners = await nursery.start(functools.partial(trio.serve_tcp, sniff, 0, host="127.0.0.1"))
    host, port = listeners[0].socket.getsockname()[:2]
    server.web_guard.port = port
    return host, port, server


def fetch(host, port, *requests, headers=None):
    """(status, content type, body) of each (method, path[, body]) sent on one connection."""
    return [(status, kept["Content-Type"], body) for status, kept, body in exchange(host, port, *requests,
                                                                                     headers=headers)]


def exchange(host, port, *requests, headers=None):
    """(status, headers, body) of each (method, path[, body]) sent on one connection."""
    connection = http.client.HTTPConnection(host, port, timeout=10)
    results = []
    for method, path, *body in requests:
        connection.request(method, path, *body, headers=headers or {})
        response = connection.getresponse()
        results.append((response.status, response.headers, response.read()))
    connection.close()
    return results


def upgrade_request(host_header, origin=None, cookie=None) -> bytes:
    """A browser's websocket handshake, as bytes."""
    lines = ["GET /ws HTTP/1.1", f"Host: {host_header}", "Connection: Upgrade", "Upgrade: websocket",
             "Sec-WebSocket-Version: 13", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=="]
    lines += [f"Origin: {origin}"] * (origin is not None) + [f"Cookie: {cookie}"] * (cookie is not None)
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def status_of(host, port, request: bytes) -> bytes:
    """The status line the server answers ``request`` (raw bytes) with."""
    with socket.create_connection((host, port), timeout=10) as raw:
        raw.sendall(request)
        return raw.recv(4096).split(b"\r\n", 1)[0]


async def test_serves_the_page_and_its_modules_with_their_types(address):
    host, port, _ = address
    page, script, vendored, style = await trio.to_thread.run_sync(
        fetch, host, port, ("GET", "/"), ("GET", "/app.js"), ("GET", "/vendor/msgpack/index.mjs"), ("GET", "/style.css")
    )
    assert page[0] == 200 and page[1].startswith("text/html") and b"<title>Sequencer</title>" in page[2]
    assert script[0] == 200 and script[1].startswith("text/javascript") and b"import" in script[2]
    assert vendored[0] == 200 and vendored[1].startswith("text/javascript")
    assert style[0] == 200 and style[1].startswith("text/css")


@pytest.mark.parametrize(
    "path", ["/nothing.js", "/../web.py", "/%2e%2e/web.py", "/vendor/../../web.py", "//etc/passwd", "/vendor"]
)
async def test_unknown_and_escaping_paths_are_not_found(address, path):
    host, port, _ = address
    [(status, _, body)] = await trio.to_thread.run_sync(fetch, host, port, ("GET", path))
    assert status == 404 and b"not found" in body


async def test_head_and_other_methods(address):
    host, port, _ = address
    head, post = await trio.to_thread.run_sync(fetch, host, port, ("HEAD", "/index.html"), ("POST", "/"))
    assert head[0] == 200 and head[2] == b""
    assert post[0] == 405


async def test_garbage_after_a_letter_gets_a_400_and_the_listener_goes_on(address):
    host, port, _ = address
    with socket.create_connection((host, port), timeout=10) as raw:
        raw.sendall(b"G\x00\x01 nonsense\r\n\r\n")
        answer = await trio.to_thread.run_sync(raw.recv, 1000)
    assert answer.startswith(b"HTTP/1.1 400")
    [(status, _, _)] = await trio.to_thread.run_sync(fetch, host, port, ("GET", "/"))
    assert status == 200


async def test_websocket_carries_one_message_per_binary_frame(address):
    host, port, server = address
    async with trio_websocket.open_websocket(host, port, "/ws", use_ssl=False) as ws:
        await ws.send_message(msgpack.packb({"type": "hello", "version": 1, "client": "test"}))
        welcome = msgpack.unpackb(await ws.get_message())
        assert welcome["type"] == "welcome" and welcome["server"] == "echo"
        await ws.send_message(msgpack.packb({"type": "cmd", "id": 3, "line": "nodes"}))
        assert msgpack.unpackb(await ws.get_message()) == {"type": "reply", "id": 3, "ok": True, "output": "nodes"}
        local_port = ws.local.port
    assert server.peers == [f"127.0.0.1:{local_port}"]


@pytest.mark.parametrize("subprotocols, frames", [([web.BATCHED], [3]), ([], [1, 1, 1])])
async def test_a_client_asking_for_batched_frames_gets_each_batch_in_one(address, subprotocols, frames):
    host, port, _ = address
    async with trio_websocket.open_websocket(host, port, "/ws", use_ssl=False, subprotocols=subprotocols) as ws:
        assert ws.subprotocol == (subprotocols[0] if subprotocols else None)
        await ws.send_message(msgpack.packb({"type": "hello", "version": 1, "client": "test"}))
        assert msgpack.unpackb(await ws.get_message())["type"] == "welcome"
        await ws.send_message(msgpack.packb({"type": "cmd", "id": 4, "line": "burst"}))
        received, outputs = [], []
        while len(outputs) < 3:
            messages = list(msgpack.Unpacker(io.BytesIO(await ws.get_message())))
            received.append(len(messages))
            outputs += [message["output"] for message in messages]
    assert received == frames and outputs == ["0", "1", "2"]


async def test_bad_frames_get_an_error_and_the_websocket_stays_usable(address):
    host, port, _ = address
    async with trio_websocket.open_websocket(host, port, "/ws", use_ssl=False) as ws:
        await ws.send_message(msgpack.packb({"type": "hello", "version": 1, "client": "test"}))
        assert msgpack.unpackb(await ws.get_message())["type"] == "welcome"
        bad_frames = [
            "text frame",
            b"\xc1 not msgpack",
            msgpack.packb({"type": "cmd", "id": 1, "line": "a"}) * 2,
            msgpack.packb({"type": "nonsense"}),
        ]
        for frame in bad_frames:
            await ws.send_message(frame)
            error = msgpack.unpackb(await ws.get_message())
            assert error["type"] == "error" and error["error"], frame
        await ws.send_message(msgpack.packb({"type": "cmd", "id": 9, "line": "still here"}))
        assert msgpack.unpackb(await ws.get_message())["output"] == "still here"


async def test_a_refused_websocket_handshake_closes_only_that_connection(address):
    host, port, _ = address
    with socket.create_connection((host, port), timeout=10) as raw:
        raw.sendall(b"GET /ws HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n")
        answer = await trio.to_thread.run_sync(raw.recv, 1000)
    assert answer.startswith(b"HTTP/1.1 400")
    [(status, _, _)] = await trio.to_thread.run_sync(fetch, host, port, ("GET", "/"))
    assert status == 200


async def test_resolve_asset_refuses_what_is_outside_the_gui_folder():
    assert web.resolve_asset(b"/index.html").name == "index.html"
    assert web.resolve_asset(b"/") .name == "index.html"
    for target in [b"/..", b"/a/../index.html", b"/.\\index.html", b"relative", b"/vendor/msgpack/"]:
        assert web.resolve_asset(target) is None, target


async def test_every_response_carries_the_pages_protections(address):
    host, port, _ = address
    for status, headers, _ in await trio.to_thread.run_sync(exchange, host, port, ("GET", "/"), ("GET", "/nothing")):
        policy = headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy, status
        assert headers["X-Content-Type-Options"] == "nosniff" and headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("name, status", [
    ("attacker.example", 403),  # a name of someone else's, resolved to this machine: DNS rebinding
    ("attacker.example:80", 403),
    ("localhost", 200), ("127.0.0.1", 200), ("[::1]", 200), ("sequencer.example", 200), (None, 403),
])
async def test_only_the_servers_own_names_are_answered(address, name, status):
    host, port, _ = address
    headers = {} if name is None else {"Host": name}
    request = f"GET / HTTP/1.0\r\n{''.join(f'{k}: {v}' for k, v in headers.items())}\r\n\r\n".encode()
    answer = await trio.to_thread.run_sync(status_of, host, port, request)
    assert answer.split()[1] == str(status).encode(), answer
    refused_upgrade = await trio.to_thread.run_sync(status_of, host, port, upgrade_request("attacker.example:1"))
    assert refused_upgrade.startswith(b"HTTP/1.1 403")


@pytest.mark.parametrize("origin, admitted", [
    (None, True),  # not a browser: the protocol's handshake decides
    ("http://127.0.0.1:{port}", True),  # the server's own page
    ("https://portal.example", True),  # allowed by the operator
    ("http://attacker.example", False), ("http://127.0.0.1:1", False), ("null", False),
    ("https://127.0.0.1:{port}", False),  # another scheme is another origin
])
async def test_only_the_servers_own_page_may_open_the_websocket(address, origin, admitted):
    host, port, server = address
    origin = origin and origin.format(port=port)
    answer = await trio.to_thread.run_sync(status_of, host, port, upgrade_request(f"127.0.0.1:{port}", origin))
    assert answer.startswith(b"HTTP/1.1 101" if admitted else b"HTTP/1.1 403"), answer
    await trio.testing.wait_all_tasks_blocked()  # the server has served what it accepted
    assert len(server.peers) == (1 if admitted else 0)


async def test_a_sign_in_trades_the_token_for_a_cookie_that_signs_the_websocket_in(address):
    host, port, server = address
    own = {"Origin": f"http://127.0.0.1:{port}", "Content-Type": "application/x-www-form-urlencoded"}
    wrong, right = await trio.to_thread.run_sync(functools.partial(
        exchange, host, port, ("POST", "/signin", "token=guess"), ("POST", "/signin", f"token={TOKEN}"), headers=own))
    assert wrong[0] == 403 and "Set-Cookie" not in wrong[1]
    assert right[0] == 200
    cookie = right[1]["Set-Cookie"]
    assert cookie.startswith(f"seq-{port}=") and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert TOKEN not in cookie
    [(foreign, _, _)] = await trio.to_thread.run_sync(functools.partial(
        exchange, host, port, ("POST", "/signin", f"token={TOKEN}"),
        headers={**own, "Origin": "http://attacker.example"}))
    assert foreign == 403
    [(_, watcher, _)] = await trio.to_thread.run_sync(functools.partial(
        exchange, host, port, ("POST", "/signin", f"token={WATCHER_TOKEN}"), headers=own))
    session = cookie.split(";")[0]
    watcher_session = watcher["Set-Cookie"].split(";")[0]
    nonce, _, seal = watcher_session.split(".")
    promoted = f"{nonce}.{OPERATOR.token}.{seal}"  # a watcher's cookie claiming the operator's token
    for cookie_header in (session, watcher_session, promoted, f"seq-{port}=forged", None):
        answer = await trio.to_thread.run_sync(status_of, host, port, upgrade_request(
            f"127.0.0.1:{port}", f"http://127.0.0.1:{port}", cookie_header))
        assert answer.startswith(b"HTTP/1.1 101")
    await trio.testing.wait_all_tasks_blocked()
    assert server.signed_in == [OPERATOR, WATCHER, None, None, None]
