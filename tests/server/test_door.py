"""The door (seqserver.doorway) on a real server: token guesses are slowed, connections that never say
who they are cannot crowd out an operator. Several "hosts" are addresses of 127.0.0.0/8."""
import contextlib
import re
import subprocess
import sys

import msgpack
import pytest
import trio

from seqclient import ConnectionClosed
from server_harness import hello, running_server

HELD_OFF = re.compile(r"too many failed attempts from 127\.0\.0\.1: try again in (\d+) s")


async def connect_from(host: str, port: int) -> trio.SocketStream:
    """A raw TCP connection to the server from ``host`` (an address of 127.0.0.0/8)."""
    sock = trio.socket.socket()
    await sock.bind((host, 0))
    await sock.connect(("127.0.0.1", port))
    return trio.SocketStream(sock)


async def answer_to_hello(stream: trio.SocketStream) -> dict:
    await stream.send_all(hello("raw"))
    with trio.fail_after(10):
        return msgpack.unpackb(await stream.receive_some(65536))


async def test_token_guesses_are_held_off_then_let_in_again(tmp_path):
    (tmp_path / "tokens").write_text("s3cret-token\n")
    async with running_server("--token-file", str(tmp_path / "tokens"), "--failed-attempts", "3") as server:
        for _ in range(3):
            with pytest.raises(ConnectionClosed, match="wrong or missing token"):
                async with server.connect("guesser", token="guess"):
                    pass
        with pytest.raises(ConnectionClosed, match=HELD_OFF) as refused:
            async with server.connect("operator", token="s3cret-token"):
                pass  # held off like any other attempt: a guess that happens to be right learns nothing
        await trio.sleep(int(HELD_OFF.search(str(refused.value)).group(1)))  # the wait the server named
        async with server.connect("operator", token="s3cret-token") as operator:
            assert (await operator.command("modules")).ok


async def test_connections_that_say_nothing_cannot_crowd_out_an_operator():
    async with running_server("--max-pending", "8") as server, contextlib.AsyncExitStack() as stack:
        silent = [await connect_from("127.0.0.2", server.port) for _ in range(2)]  # a quarter of 8 from one host
        for stream in silent:
            stack.push_async_callback(stream.aclose)
        third = await connect_from("127.0.0.2", server.port)
        refusal = await answer_to_hello(third)
        assert refusal["type"] == "error" and refusal["fatal"]
        assert refusal["error"] == "too many connections from 127.0.0.2 waiting to be greeted (at most 2)"
        async with server.connect("operator") as operator:  # another address is let in
            assert (await operator.command("modules")).ok

        for host in ("127.0.0.3", "127.0.0.4", "127.0.0.5"):
            for _ in range(2):
                stream = await connect_from(host, server.port)
                stack.push_async_callback(stream.aclose)
        with pytest.raises(ConnectionClosed, match=r"too many connections waiting to be greeted \(at most 8\)"):
            async with server.connect("operator"):
                pass
        await silent[0].aclose()
        async with server.connect("operator") as operator:  # one left: there is room again
            assert (await operator.command("modules")).ok


async def test_an_http_request_whose_body_never_comes_holds_one_place_at_the_door_only():
    async with running_server("--max-pending", "8") as server, contextlib.AsyncExitStack() as stack:
        for _ in range(2):
            stream = await connect_from("127.0.0.2", server.port)
            stack.push_async_callback(stream.aclose)
            await stream.send_all(b"POST /signin HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n")
        third = await connect_from("127.0.0.2", server.port)
        await third.send_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        answer = b""
        with trio.fail_after(10):
            while chunk := await third.receive_some(65536):
                answer += chunk
        assert answer.startswith(b"HTTP/1.1 429") and b"waiting to be greeted" in answer
        async with server.connect("operator") as operator:
            assert (await operator.command("modules")).ok


@pytest.mark.parametrize("option", ["--max-pending", "--failed-attempts", "--max-clients", "--client-queue",
                                    "--max-message-size", "--audit-max-bytes"])
@pytest.mark.parametrize("value", ["0", "many"])
def test_a_limit_that_would_turn_every_client_away_is_refused_at_start(option, value):
    result = subprocess.run([sys.executable, "-m", "seqserver", "--address", "127.0.0.1:0", option, value],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 2, result.stderr
    assert f"argument {option}: " in result.stderr
    assert ("must be 1 or more" if value != "many" else "not a whole number: 'many'") in result.stderr
