"""``seqshell --connect`` finds its token: --token, --token-file, SEQ_TOKEN, or the state directory's file."""
import os
import subprocess
import sys

import pytest
import trio

from seqclient import access
from server_harness import running_server
from test_access import outward_address  # the server's tests find this machine's network address

REMOTE_SHELL = [sys.executable, "-m", "seqshell", "--connect"]


def test_a_generated_token_is_readable_by_its_owner_only(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    token, path = access.generate_token()
    assert path == tmp_path / "state" / "seq" / "token"
    assert (path.stat().st_mode & 0o777, path.read_text().strip()) == (0o600, token)
    assert len(token) >= 40
    again, _ = access.generate_token()
    assert again != token and access.read_token(path) == again


async def test_the_remote_shell_sends_the_token_from_each_source(tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text("s3cret-token\n")
    state = tmp_path / "state"
    (state / "seq").mkdir(parents=True)
    (state / "seq" / "token").write_text("s3cret-token\n")
    base_env = {**os.environ, "TMPDIR": str(tmp_path), "XDG_STATE_HOME": str(tmp_path / "empty")}
    base_env.pop("SEQ_TOKEN", None)
    ways = {
        "none": ([], {}),
        "wrong option": (["--token", "guess"], {}),
        "option": (["--token", "s3cret-token"], {}),
        "file": (["--token-file", str(token_file)], {}),
        "environment": ([], {"SEQ_TOKEN": "s3cret-token"}),
        "state directory": ([], {"XDG_STATE_HOME": str(state)}),
    }
    results = {}
    async with running_server("--token-file", str(token_file)) as server:
        async def shell(name, args, env):
            results[name] = await trio.run_process(
                [*REMOTE_SHELL, server.address, *args], stdin=b"modules\n", capture_stdout=True,
                capture_stderr=True, check=False, env={**base_env, **env}, cwd=tmp_path)

        with trio.fail_after(60):
            async with trio.open_nursery() as nursery:
                for name, (args, env) in ways.items():
                    nursery.start_soon(shell, name, args, env)
    for name in ("none", "wrong option"):
        assert results[name].returncode == 2, name
        assert "wrong or missing token" in results[name].stdout.decode() + results[name].stderr.decode(), name
    for name in ("option", "file", "environment", "state directory"):
        assert results[name].returncode == 0, (name, results[name].stdout, results[name].stderr)
        assert b"connected to seqserver" in results[name].stdout, name


async def test_a_generated_token_lets_the_same_user_in_and_nobody_else(tmp_path):
    """``seqserver --generate-token`` prints the token and keeps it where this user's clients look."""
    state = tmp_path / "state"
    env = {**os.environ, "TMPDIR": str(tmp_path), "XDG_STATE_HOME": str(state)}
    env.pop("SEQ_TOKEN", None)
    server = await trio.lowlevel.open_process(
        [sys.executable, "-m", "seqserver", "--address", "127.0.0.1:0", "--generate-token"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        with trio.fail_after(30):
            said = b""
            while b"listening on" not in said:
                said += await server.stdout.receive_some(1024)
            told = b""
            while b"readable by you only" not in told:
                told += await server.stderr.receive_some(1024)
        address = said.decode().split()[-1]
        token = (state / "seq" / "token").read_text().strip()
        assert f"access token {token} (written to {state / 'seq' / 'token'}" in told.decode()
        assert (state / "seq" / "token").stat().st_mode & 0o777 == 0o600
        with trio.fail_after(60):
            mine = await trio.run_process([*REMOTE_SHELL, address], stdin=b"modules\n", capture_stdout=True,
                                          capture_stderr=True, check=False, env=env, cwd=tmp_path)
            other = await trio.run_process([*REMOTE_SHELL, address], stdin=b"modules\n", capture_stdout=True,
                                           capture_stderr=True, check=False, cwd=tmp_path,
                                           env={**env, "XDG_STATE_HOME": str(tmp_path / "elsewhere")})
        assert mine.returncode == 0, mine.stderr.decode()
        assert other.returncode == 2 and b"wrong or missing token" in other.stdout + other.stderr
    finally:
        server.terminate()
        with trio.move_on_after(15):
            await server.wait()
        if server.returncode is None:
            server.kill()
            await server.wait()


async def test_a_server_on_the_network_address_admits_remote_clients_by_token_only(tmp_path):
    """Bound to this machine's network address (not loopback): protected mode, then the token."""
    address = outward_address()
    if address is None:
        pytest.skip("this machine has no network address besides loopback")
    token_file = tmp_path / "token"
    token_file.write_text("s3cret-token\n")
    env = {**os.environ, "TMPDIR": str(tmp_path), "XDG_STATE_HOME": str(tmp_path / "empty")}
    env.pop("SEQ_TOKEN", None)

    async def remote_shell(server, *args):
        with trio.fail_after(60):
            result = await trio.run_process([*REMOTE_SHELL, server.address, *args], stdin=b"modules\n",
                                            capture_stdout=True, capture_stderr=True, check=False, env=env,
                                            cwd=tmp_path)
        return result.returncode, (result.stdout + result.stderr).decode()

    async with running_server("--address", f"{address}:0") as server:
        status, said = await remote_shell(server)
        assert status == 2 and "protected mode" in said and "--generate-token" in said
    async with running_server("--address", f"{address}:0", "--token-file", str(token_file)) as server:
        assert (await remote_shell(server, "--token", "guess"))[0] == 2
        status, said = await remote_shell(server, "--token-file", str(token_file))
        assert status == 0, said
