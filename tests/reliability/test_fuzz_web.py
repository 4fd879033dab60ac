"""Malformed HTTP and websocket frames of every wrong kind against a real seqserver's web side.

For every example the server answers or closes the connection, never hangs on
it for good nor falls over: after each one, a fresh request for the page is
served and a protocol client connected from the start still gets its replies.
"""
from __future__ import annotations

import os
import socket
import struct
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import seqclient
from seqclient import access

READ_TIMEOUT = 10.0  # seconds the server may take to answer one example and close


@pytest.fixture(scope="module")
def server():
    """A seqserver on a free port of 127.0.0.1 whose door lets any number of failed attempts through
    (every example that is not a proper hello is one); (port, a protocol client connected throughout)."""
    process = subprocess.Popen([sys.executable, "-m", "seqserver", "--address", "127.0.0.1:0",
                                "--failed-attempts", "100000"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                               text=True)
    try:
        port = int(process.stdout.readline().strip().rpartition(":")[2])
        with seqclient.SyncClient("127.0.0.1", port, client="steady",
                                  token=access.client_token(None, "127.0.0.1")) as steady:
            yield port, steady
        assert process.poll() is None, "the server is still running"
    finally:
        process.terminate()
        process.wait(timeout=30)


def exchange(port: int, data: bytes) -> bytes:
    """Send ``data`` and the end of the stream, then collect what comes back until the server closes."""
    received = b""
    with socket.create_connection(("127.0.0.1", port), timeout=READ_TIMEOUT) as sock:
        try:
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
            while chunk := sock.recv(65536):
                received += chunk
        except (ConnectionResetError, BrokenPipeError):
            pass  # the server may close before reading all of it
    return received


def assert_still_serving(port: int, steady: seqclient.SyncClient) -> None:
    answer = exchange(port, f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode())
    assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
    assert steady.command("modules").ok


# -- malformed HTTP
tokens = st.text(st.characters(codec="latin-1"), max_size=20)
methods = st.sampled_from(["GET", "POST", "HEAD", "PUT", "OPTIONS", "G ET", "G", "GE\x00T"]) | tokens.map(
    lambda token: "G" + token)  # a letter first, or the server takes it for something else than HTTP
targets = st.sampled_from(["/", "/ws", "/signin", "/../../etc/passwd", "/%00", "//", "*", "/?" + "a" * 300]) | tokens
versions = st.sampled_from(["HTTP/1.1", "HTTP/1.0", "HTTP/2.0", "HTTP/1.1x", "", "http/1.1"]) | tokens
header_names = st.sampled_from(["Host", "Content-Length", "Transfer-Encoding", "Upgrade", "Connection", "Origin",
                                "Cookie", "Sec-WebSocket-Key", "Sec-WebSocket-Version", "Content-Type"]) | tokens
header_values = st.sampled_from(["127.0.0.1", "-1", "99999999999", "chunked", "websocket", "Upgrade", "abc",
                                 "x" * 9000, "1, 2", "\x00"]) | tokens
headers = st.lists(st.tuples(header_names, header_values), max_size=6)
bodies = st.binary(max_size=200) | st.sampled_from([b"0\r\n\r\n", b"zz\r\nhello\r\n", b"5\r\nabc"])


@st.composite
def http_requests(draw) -> bytes:
    line = f"{draw(methods)} {draw(targets)} {draw(versions)}"
    head = "".join(f"{name}: {value}\r\n" for name, value in draw(headers))
    ending = draw(st.sampled_from(["\r\n", "\n", "", "\r\n\r\n"]))
    return (line + "\r\n" + head + ending).encode("latin-1") + draw(bodies)


@settings(max_examples=int(os.environ.get("SEQ_FUZZ_EXAMPLES", 200)), suppress_health_check=[HealthCheck.too_slow],
          deadline=None)
@given(request=http_requests() | st.binary(min_size=1, max_size=400).map(lambda data: b"G" + data))
def test_malformed_http_gets_an_answer_or_a_close_and_the_server_serves_on(server, request):
    port, steady = server
    answer = exchange(port, request)
    assert answer == b"" or answer.startswith(b"HTTP/1.1 "), answer[:200]
    assert_still_serving(port, steady)


# -- websocket frames of the wrong kind
def upgrade(port: int) -> bytes:
    return (f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nOrigin: http://127.0.0.1:{port}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n").encode()


def frame(opcode: int, payload: bytes, *, fin: bool = True, rsv: int = 0, masked: bool = True) -> bytes:
    """One websocket frame as a client would send it (or, with the flags, as it must not)."""
    head = bytes([(0x80 if fin else 0) | (rsv << 4) | opcode])
    mask_bit = 0x80 if masked else 0
    if len(payload) < 126:
        head += bytes([mask_bit | len(payload)])
    elif len(payload) < 65536:
        head += bytes([mask_bit | 126]) + struct.pack("!H", len(payload))
    else:
        head += bytes([mask_bit | 127]) + struct.pack("!Q", len(payload))
    if not masked:
        return head + payload
    key = b"\x12\x34\x56\x78"
    return head + key + bytes(byte ^ key[n % 4] for n, byte in enumerate(payload))


wrong_frames = st.one_of(
    st.builds(frame, st.sampled_from([3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF]), st.binary(max_size=20)),  # reserved
    st.builds(lambda payload: frame(2, payload, masked=False), st.binary(max_size=20)),  # unmasked from a client
    st.builds(lambda payload: frame(0, payload), st.binary(max_size=20)),  # a continuation of nothing
    st.builds(lambda payload: frame(9, payload), st.binary(min_size=126, max_size=200)),  # a control frame too long
    st.builds(lambda payload: frame(9, payload, fin=False), st.binary(max_size=20)),  # a fragmented ping
    st.builds(lambda rsv, payload: frame(2, payload, rsv=rsv), st.integers(1, 7), st.binary(max_size=20)),
    st.builds(lambda payload: frame(1, payload), st.sampled_from([b"\xff\xfe", b"\xc3", b"hello"])),  # text frames
    st.builds(lambda code: frame(8, struct.pack("!H", code)), st.integers(0, 65535)),  # close with any code
    st.builds(lambda payload: frame(2, payload), st.binary(max_size=200)),  # garbage in a binary frame
    st.binary(min_size=1, max_size=40),  # not a frame at all
)


@settings(max_examples=int(os.environ.get("SEQ_FUZZ_EXAMPLES", 200)), suppress_health_check=[HealthCheck.too_slow],
          deadline=None)
@given(frames=st.lists(wrong_frames, min_size=1, max_size=4))
def test_websocket_frames_of_the_wrong_kind_close_that_websocket_only(server, frames):
    port, steady = server
    answer = exchange(port, upgrade(port) + b"".join(frames))
    assert answer.startswith(b"HTTP/1.1 101"), answer[:200]
    assert_still_serving(port, steady)
