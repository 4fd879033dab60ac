"""``seqtool gui`` as an operator runs it: against a running server, or starting one."""
import functools
import signal
import socket
import subprocess
import sys
import urllib.request

import pytest
import trio
from gui_support import REPO_ROOT

import seqclient

SEQTOOL = [sys.executable, "-m", "seqtool"]


async def snapshot_of(port):
    async with seqclient.connect("127.0.0.1", port, client="test") as connection:
        return connection.welcome["snapshot"]


def free_port_pair():
    """A port whose next one is free too (both checked by binding)."""
    for _ in range(50):
        with socket.socket() as first:
            first.bind(("127.0.0.1", 0))
            port = first.getsockname()[1]
            with socket.socket() as second:
                try:
                    second.bind(("127.0.0.1", port + 1))
                except OSError:
                    continue
        return port
    pytest.fail("no pair of free ports")


async def test_gui_against_a_running_server_loads_and_runs_the_scripts(server):
    result = await trio.run_process(
        [*SEQTOOL, "gui", "--address", f"127.0.0.1:{server.port}", "--no-browser", "--run", "seq.samples.a"],
        capture_stdout=True,
        capture_stderr=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode()
    assert f"http://127.0.0.1:{server.port}/" in result.stdout.decode()
    async with seqclient.connect("127.0.0.1", server.port, client="test") as connection:
        assert "seq.samples.a" in " ".join(connection.welcome["snapshot"]["modules"])
        reply = await connection.command("wait 30")
        assert reply.ok and "finished" in reply.output


async def test_gui_reports_a_script_that_cannot_be_loaded(server):
    result = await trio.run_process(
        [*SEQTOOL, "gui", "--address", f"127.0.0.1:{server.port}", "--no-browser", "seq.samples.no_such_thing"],
        capture_stdout=True,
        capture_stderr=True,
        check=False,
    )
    assert result.returncode == 1
    assert "no_such_thing" in result.stderr.decode()


async def test_gui_starts_a_server_on_the_next_port_when_its_own_is_taken():
    port = free_port_pair()

    async def hang_up(stream):  # something that is not a sequencer server
        await stream.aclose()

    async with trio.open_nursery() as nursery:
        await nursery.start(functools.partial(trio.serve_tcp, hang_up, port, host="127.0.0.1"))
        with trio.fail_after(60):
            process = await trio.lowlevel.open_process(
                [*SEQTOOL, "gui", "--address", f"127.0.0.1:{port}", "--no-browser", str(REPO_ROOT / "samples/obex.json")],
                stdout=subprocess.PIPE,
            )
            output = b""
            while b"Sequencer GUI: " not in output:
                chunk = await process.stdout.receive_some()
                assert chunk, output.decode()
                output += chunk
            assert f"http://127.0.0.1:{port + 1}/" in output.decode()
            page = await trio.to_thread.run_sync(urllib.request.urlopen, f"http://127.0.0.1:{port + 1}/")
            assert b"<title>Sequencer</title>" in page.read()
            snapshot = await snapshot_of(port + 1)
            assert snapshot["scripts"][0]["name"] == "My humble II OB(A)"
            process.send_signal(signal.SIGTERM)
            assert await process.wait() == 0
            with pytest.raises(OSError):
                await trio.open_tcp_stream("127.0.0.1", port + 1)
        nursery.cancel_scope.cancel()


async def test_gui_hands_its_configuration_to_the_server_it_starts(tmp_path):
    port = free_port_pair()
    config = tmp_path / "seq.yaml"
    config.write_text(f"seq_server:\n  url: 127.0.0.1:{port}\notto:\n  url: http://127.0.0.1:5999/\n  insid: FORS2\n")
    with trio.fail_after(60):
        process = await trio.lowlevel.open_process(
            [*SEQTOOL, "gui", "--config", str(config), "--no-browser"], stdout=subprocess.PIPE)
        output = b""
        while b"Sequencer GUI: " not in output:
            chunk = await process.stdout.receive_some()
            assert chunk, output.decode()
            output += chunk
        assert f"http://127.0.0.1:{port}/" in output.decode()
        async with seqclient.connect("127.0.0.1", port, client="test") as connection:
            settings = await connection.command("otto")  # what the GUI's OTTO menu asks
            assert settings.ok, settings.error
            assert settings.data["url"] == "http://127.0.0.1:5999/" and settings.data["insid"] == "FORS2"
        process.send_signal(signal.SIGTERM)
        assert await process.wait() == 0
