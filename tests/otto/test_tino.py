"""tino, the OTTO simulator, as a real process answering real HTTP."""
import json
import socket
import sys

import trio

from otto_fixtures import SAMPLES, request, run_tino


async def test_serves_only_the_configured_instrument(ob_folder):
    async with run_tino(ob_folder, "--instrument", "FORS2") as tino:
        assert "blue.json: skipped, instrument 'UVES'" in tino.output
        status, listing = await request("GET", tino.url + "ves")
        assert status == 200
        assert listing["instrument"] == "FORS2"
        assert [(ob["obId"], ob["name"], ob["status"]) for ob in listing["obs"]] == [
            (1, "first", "Queued"),
            (2, "second", "Queued"),
        ]
        assert listing["next"] == 1


async def test_instrument_from_the_configuration_file(ob_folder, tmp_path):
    config = tmp_path / "seq.yaml"
    config.write_text("otto:\n  url: http://127.0.0.1:5000/\n  insid: UVES\n")
    async with run_tino(ob_folder, "--config", str(config)) as tino:
        status, listing = await request("GET", tino.url + "ves")
        assert [ob["obId"] for ob in listing["obs"]] == [3]


async def test_fetch_advances_the_queue_until_it_is_empty(ob_folder):
    async with run_tino(ob_folder, "--instrument", "FORS2") as tino:
        status, first = await request("POST", tino.url + "ves/next")
        assert status == 200
        assert first["obId"] == 1 and first["remaining"] == 1
        assert first["ob"] == json.loads((ob_folder / "first.json").read_text())
        status, second = await request("POST", tino.url + "ves/next")
        assert second["obId"] == 2 and second["remaining"] == 0
        status, empty = await request("POST", tino.url + "ves/next")
        assert status == 404
        assert "queue is empty" in empty["error"]

        status, listing = await request("GET", tino.url + "ves")
        assert listing["next"] is None
        assert [ob["status"] for ob in listing["obs"]] == ["Fetched", "Fetched"]
        await tino.expect("fetched OB 2 'second' (0 left)")


async def test_operators_fetching_at_once_never_get_the_same_ob(ob_folder):
    async with run_tino(ob_folder, "--instrument", "FORS2") as tino:
        answers = []

        async def fetch():
            answers.append(await request("POST", tino.url + "ves/next"))

        async with trio.open_nursery() as nursery:
            for _ in range(8):
                nursery.start_soon(fetch)
        fetched = sorted(answer["obId"] for status, answer in answers if status == 200)
        assert fetched == [1, 2]
        assert sorted(status for status, answer in answers) == [200, 200] + [404] * 6


async def test_ob_events_are_recorded_shown_and_read_back(ob_folder):
    async with run_tino(ob_folder, "--instrument", "FORS2") as tino:
        for event in ("Initiated", "Started", "Executed"):
            status, record = await request("POST", tino.url + "events", {"obId": 2, "event": event})
            assert status == 201
            assert record["event"] == event and record["name"] == "second"
        await request("POST", tino.url + "events", {"obId": 1, "event": "Initiated"})

        status, answer = await request("GET", tino.url + "events?obId=2")
        assert [e["event"] for e in answer["events"]] == ["Initiated", "Started", "Executed"]
        status, answer = await request("GET", tino.url + "events")
        assert [(e["seq"], e["obId"]) for e in answer["events"]] == [(1, 2), (2, 2), (3, 2), (4, 1)]
        status, listing = await request("GET", tino.url + "ves")
        assert [ob["status"] for ob in listing["obs"]] == ["Initiated", "Executed"]
        await tino.expect("OB 2 'second' Executed")


async def test_bad_requests_get_json_errors_and_tino_keeps_serving(ob_folder):
    async with run_tino(ob_folder, "--instrument", "FORS2") as tino:
        bad = [
            (("GET", tino.url + "nowhere"), 404, "no such endpoint: /nowhere"),
            (("GET", tino.url + "ves/next"), 405, "GET is not allowed on /ves/next (use POST)"),
            (("DELETE", tino.url + "ves"), 501, "Unsupported method ('DELETE')"),
            (("POST", tino.url + "events", None, b"{not json"), 400, "the body is not JSON"),
            (("POST", tino.url + "events", ["Started"]), 400, 'expected {"obId": N, "event": "Started"}'),
            (("POST", tino.url + "events", {"obId": "1", "event": "Started"}), 400, '"obId" must be an integer'),
            (("POST", tino.url + "events", {"obId": 1, "event": "Done"}), 400, '"event" must be one of Initiated, Started, Executed'),
            (("POST", tino.url + "events", {"obId": 3, "event": "Started"}), 404, "no OB with obId 3"),
            (("GET", tino.url + "obs/x"), 400, "obId must be an integer, got 'x'"),
            (("GET", tino.url + "ves?instrument=UVES"), 409, "tino serves the OBs of FORS2, not of UVES"),
        ]
        for args, status, error in bad:
            got_status, answer = await request(*args)
            assert got_status == status and error in answer["error"], (args, got_status, answer)

        host, port = tino.url.removeprefix("http://").rstrip("/").split(":")

        def exchange(raw):
            with socket.create_connection((host, int(port)), timeout=10) as sock:
                sock.sendall(raw)
                return sock.makefile("rb").read()

        assert b"\r\nAllow: POST\r\n" in await trio.to_thread.run_sync(exchange, b"GET /ves/next HTTP/1.0\r\n\r\n")
        not_http = await trio.to_thread.run_sync(exchange, b"\x00\xff garbage \x01\r\n\r\n")
        assert b'{"error": "Bad request version' in not_http

        status, answer = await request("GET", tino.url + "obs/1")
        assert status == 200 and answer["ob"]["obsDescription"]["name"] == "first"
        status, about = await request("GET", tino.url)
        assert about["endpoints"] == ["GET /", "GET /ves", "POST /ves/next", "GET /obs/<obId>", "GET /events", "POST /events"]
        assert tino.process.returncode is None


async def test_serves_the_sample_folder_and_stops_cleanly():
    async with run_tino(SAMPLES / "obs", "--instrument", "FORS2") as tino:
        status, listing = await request("GET", tino.url + "ves")
        assert [ob["obId"] for ob in listing["obs"]] == [101, 102]
        tino.process.terminate()
        with trio.fail_after(10):
            assert await tino.process.wait() == 0
        await tino.expect("tino stopped")


async def run_tino_to_the_end(*args):
    command = [sys.executable, "-m", "seqtool.tino", *args]
    with trio.fail_after(20):
        return await trio.run_process(command, capture_stdout=True, capture_stderr=True, check=False)


async def test_command_line_mistakes_are_explained(ob_folder, tmp_path):
    async with run_tino(ob_folder) as tino:
        port = tino.url.rstrip("/").rsplit(":", 1)[1]
        taken = await run_tino_to_the_end(str(ob_folder), "--port", port)
        assert taken.returncode == 1
        assert f"tino: cannot listen on 127.0.0.1:{port}: address already in use" in taken.stderr.decode().lower()

    missing = await run_tino_to_the_end(str(tmp_path / "nowhere"))
    assert (missing.returncode, missing.stderr.decode()) == (2, f"tino: {tmp_path / 'nowhere'} is not a folder\n")

    (tmp_path / "bad.yaml").write_text("otto: [\n")
    bad_config = await run_tino_to_the_end(str(ob_folder), "--config", str(tmp_path / "bad.yaml"))
    assert bad_config.returncode == 2
    assert f"tino: configuration file {tmp_path / 'bad.yaml'} is not valid YAML" in bad_config.stderr.decode()

    usage = await run_tino_to_the_end("--help")
    assert usage.stdout.decode().startswith("usage: seqtool tino [-h]")
    assert "Friend of OTTO" in usage.stdout.decode() and "--port PORT" in usage.stdout.decode()
