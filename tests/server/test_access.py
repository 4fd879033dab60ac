"""Who may connect: protected mode without a token, the token when there is one, at most --max-clients."""
import contextlib
import os
import shutil
import socket
import sys

import msgpack
import pytest
import trio

import protocol

from seqclient import ConnectionClosed
from server_harness import ServerProcess, next_event, running_server


def outward_address() -> str | None:
    """This machine's address on its network (not loopback), if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # no packet is sent: this only picks the route
        except OSError:
            return None
        address = probe.getsockname()[0]
    return None if address.startswith("127.") else address


async def test_without_a_token_only_local_clients_are_served():
    address = outward_address()
    if address is None:
        pytest.skip("this machine has no network address besides loopback")
    async with running_server("--address", "0") as server:
        async with server.connect("local") as local:
            assert (await local.command("modules")).ok
        remote = ServerProcess(server.process, address, server.port)
        with pytest.raises(ConnectionClosed, match="protected mode.*--token-file"):
            async with remote.connect("remote"):
                pass


async def test_the_token_is_required_when_configured(tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text("s3cret-token\n")
    async with running_server("--token-file", str(token_file)) as server:
        for token in (None, "guess"):
            with pytest.raises(ConnectionClosed, match="wrong or missing token"):
                async with server.connect("intruder", token=token):
                    pass
        async with server.connect("operator", token="s3cret-token") as operator:
            assert (await operator.command("modules")).ok


async def test_a_hundred_clients_at_once_and_a_clear_refusal_beyond(server):
    async with contextlib.AsyncExitStack() as stack:
        clients = [await stack.enter_async_context(server.connect(f"client{n}")) for n in range(100)]
        with pytest.raises(ConnectionClosed, match="too many clients: this server serves at most 100"):
            async with server.connect("one too many"):
                pass
        replies = {}

        async def ask(n, conn):
            replies[n] = await conn.command("modules")

        async with trio.open_nursery() as nursery:
            for n, conn in enumerate(clients):
                nursery.start_soon(ask, n, conn)
        assert len(replies) == 100 and all(reply.ok for reply in replies.values())
        assert (await clients[0].command("load seq.samples.a")).ok
        for conn in clients:
            await next_event(conn.events(), lambda e: e.get("kind") == "tree" and e["action"] == "loaded")


NOBODY_CLIENT = """
import socket, sys
path, port, hello = sys.argv[1], int(sys.argv[2]), bytes.fromhex(sys.argv[3])
try:
    open(path).read()
    print("read the token")
except OSError as exc:
    print("cannot read the token:", type(exc).__name__)
with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
    sock.sendall(hello)
    answer = b""
    while chunk := sock.recv(65536):
        answer += chunk
print(answer.hex())
"""


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv") or not os.path.exists("/usr/bin/python3"),
                    reason="needs root, setpriv and /usr/bin/python3 to run a client as another user")
async def test_protected_mode_admits_the_servers_own_user_and_no_other(tmp_path):
    """Without --token-file the server takes its user's own token (made on first need, readable by that
    user only): that user's clients find it and are served; another account of the machine, which
    cannot read it (nor can whatever it forwards to the port), is refused."""
    state = tmp_path / "state"
    env = {**os.environ, "XDG_STATE_HOME": str(state)}
    env.pop("SEQ_TOKEN", None)
    async with running_server(env=env) as server:
        token_file = state / "seq" / "token"
        assert token_file.stat().st_mode & 0o777 == 0o600
        own = await trio.run_process([sys.executable, "-m", "seqshell", "--connect", server.address],
                                     stdin=b"modules\n", capture_stdout=True, capture_stderr=True, check=False,
                                     env=env, cwd=tmp_path)
        assert own.returncode == 0, own.stderr.decode()
        hello = msgpack.packb({"type": "hello", "version": 1, "client": "someone else"})
        other = await trio.run_process(
            ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "/usr/bin/python3", "-c",
             NOBODY_CLIENT, str(token_file), str(server.port), hello.hex()],
            capture_stdout=True, capture_stderr=True, check=False, cwd="/")
    said = other.stdout.decode().splitlines()
    assert said[0] == "cannot read the token: PermissionError", other.stderr.decode()
    [refusal] = protocol.Decoder().feed(bytes.fromhex(said[1]))
    assert refusal.type == "error" and refusal.fatal and refusal.error.startswith("wrong or missing token")
