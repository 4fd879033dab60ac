"""seqserver.web over real sockets: the GUI's files and the websocket transport.

The listener here does what the server's does (read the first bytes, hand HTTP to
``handle_http``); a small echo server stands behind the transport, so these tests
exercise web.py alone. The GUI tests run the whole chain.
"""
import functools
import http.client
import socket

import msgpack
import pytest
import trio
import trio_websocket

import protocol
from seqserver import web


class EchoServer:
    """Answers hello with welcome and each command with a reply echoing its line."""

    max_message_size = 1024 * 1024

    def __init__(self):
        self.peers = []

    async def handle_client(self, transport):
        self.peers.append(transport.peer)
        while True:
            try:
                message = await transport.receive()
            except protocol.ProtocolError as exc:
                await transport.send({"type": "error", "error": str(exc), "fatal": False})
                continue
            if message is None:
                return
            if message["type"] == "hello":
                await transport.send({"type": "welcome", "version": 1, "server": "echo", "snapshot": {}})
            else:
                await transport.send({"type": "reply", "id": message["id"], "ok": True, "output": message["line"]})


@pytest.fixture
async def address(nursery):
    server = EchoServer()

    async def sniff(stream):
        first = await stream.receive_some(1)
        await web.handle_http(server, stream, first)

    listeners = await nursery.start(functools.partial(trio.serve_tcp, sniff, 0, host="127.0.0.1"))
    host, port = listeners[0].socket.getsockname()[:2]
    return host, port, server


def fetch(host, port, *requests):
    """(status, content type, body) of each (method, path) sent on one connection."""
    connection = http.client.HTTPConnection(host, port, timeout=10)
    results = []
    for method, path in requests:
        connection.request(method, path)
        response = connection.getresponse()
        results.append((response.status, response.getheader("Content-Type"), response.read()))
    connection.close()
    return results


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


async def test_bad_frames_get_an_error_and_the_websocket_stays_usable(address):
    host, port, _ = address
    async with trio_websocket.open_websocket(host, port, "/ws", use_ssl=False) as ws:
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
        raw.sendall(b"GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n")
        answer = await trio.to_thread.run_sync(raw.recv, 1000)
    assert answer.startswith(b"HTTP/1.1 400")
    [(status, _, _)] = await trio.to_thread.run_sync(fetch, host, port, ("GET", "/"))
    assert status == 200


async def test_resolve_asset_refuses_what_is_outside_the_gui_folder():
    assert web.resolve_asset(b"/index.html").name == "index.html"
    assert web.resolve_asset(b"/") .name == "index.html"
    for target in [b"/..", b"/a/../index.html", b"/.\\index.html", b"relative", b"/vendor/msgpack/"]:
        assert web.resolve_asset(target) is None, target
