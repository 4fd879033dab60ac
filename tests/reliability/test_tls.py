"""TLS end to end: the server with a certificate, clients that trust its authority, and those that do not."""
import os
import subprocess
import sys

import pytest
import trio

from seqclient import access
from seqclient import SyncClient
from server_harness import running_server

pytest.importorskip("cryptography")  # for the test's certificate authority
from certs import make_certificates  # noqa: E402

REMOTE_SHELL = [sys.executable, "-m", "seqshell", "--connect"]


@pytest.fixture
def certificates(tmp_path):
    return make_certificates(tmp_path)


async def test_clients_reach_a_tls_server_only_through_tls_and_a_trusted_authority(certificates, tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text("s3cret-token\n")
    tls = ["--tls-cert", str(certificates["cert"]), "--tls-key", str(certificates["key"])]
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    async with running_server("--token-file", str(token_file), *tls) as server:
        trusted = access.client_ssl_context(str(certificates["ca"]))
        async with server.connect("operator", token="s3cret-token", ssl_context=trusted) as operator:
            assert (await operator.command("load seq.samples.a")).ok

            # The operator's shell, through TLS, with the token from a file.
            with trio.fail_after(60):
                shell = await trio.run_process(
                    [*REMOTE_SHELL, server.address, "--cacert", str(certificates["ca"]), "--token-file",
                     str(token_file)], stdin=b"modules\n", capture_stdout=True, capture_stderr=True, check=False,
                    env=env, cwd=tmp_path)
            assert shell.returncode == 0, shell.stderr.decode()
            assert b"(TLS)" in shell.stdout and b"seq.samples.a" in shell.stdout

            # A certificate signed by an authority the client does not trust: refused by the client.
            stranger = access.client_ssl_context(str(certificates["other-ca"]))
            with pytest.raises(Exception, match="TLS handshake failed.*certificate verify failed"):
                async with server.connect("wary", token="s3cret-token", ssl_context=stranger):
                    pass
            # A client without TLS is told to use it, whether it speaks the protocol or HTTP ...
            with pytest.raises(Exception, match="refused by the server: this server speaks TLS only"):
                async with server.connect("plain", token="s3cret-token"):
                    pass
            assert b"speaks HTTPS only" in await plain_http_get(server)
            # A plain thread's client over TLS.
            sync = await trio.to_thread.run_sync(lambda: SyncClient(
                server.host, server.port, client="thread", token="s3cret-token", ssl_context=trusted))
            try:
                reply = await trio.to_thread.run_sync(lambda: sync.command("modules", timeout=10))
                assert "seq.samples.a" in reply.output
            finally:
                await trio.to_thread.run_sync(sync.close)
            # ... and the operator never noticed.
            assert "seq.samples.a" in (await operator.command("modules")).output


async def plain_http_get(server) -> bytes:
    """What the server answers a browser that asks for the page over plain HTTP."""
    with trio.fail_after(10):
        async with await trio.open_tcp_stream(server.host, server.port) as stream:
            await stream.send_all(b"GET / HTTP/1.1\r\nHost: seq\r\n\r\n")
            answer = b""
            while chunk := await stream.receive_some():
                answer += chunk
    assert answer.startswith(b"HTTP/1.1 400 "), answer
    return answer


def test_the_server_refuses_half_a_tls_configuration(tmp_path, certificates):
    result = subprocess.run([sys.executable, "-m", "seqserver", "--address", "127.0.0.1:0",
                             "--tls-cert", str(certificates["cert"])], capture_output=True, text=True, timeout=30)
    assert result.returncode == 2 and "--tls-cert and --tls-key go together" in result.stderr
