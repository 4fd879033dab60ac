"""The OTTO client against a real tino, against nobody, and against servers
answering what OTTO never would."""
import functools
import json

import pytest
import trio

from otto_fixtures import closed_port_url, request, run_tino
from seqclient.config import Config, OttoConfig
from seqshell.otto import OttoClient, OttoError, OttoSession, QueueEmpty, fetch_next, format_queue


def config_for(url, **otto):
    return Config(server_url="localhost:8000", otto=OttoConfig(url=url, **otto))


async def call(function, *args):
    return await trio.to_thread.run_sync(functools.partial(function, *args))


async def test_fetch_list_and_report_against_tino(ob_folder, tmp_path):
    async with run_tino(ob_folder, "--instrument", "FORS2") as tino:
        config = config_for(tino.url, insid="FORS2", user="pippo", password="123")
        client = OttoClient(config.otto)
        queue = await call(client.list_queue)
        assert [(ob["obId"], ob["name"]) for ob in queue["obs"]] == [(1, "first"), (2, "second")]

        store = tmp_path / "fetched"
        ob, path = await call(fetch_next, config, store)
        assert ob["obId"] == 1
        assert path == store / "ob_1.json"
        assert json.loads(path.read_text()) == json.loads((ob_folder / "first.json").read_text())
        assert (await call(client.list_queue))["next"] == 2

        record = await call(client.report, 1, "Started")
        assert record["user"] == "pippo"
        assert [(e["obId"], e["event"]) for e in await call(client.events)] == [(1, "Started")]

        ob, path = await call(fetch_next, config, store)
        assert path == store / "ob_2.json"
        with pytest.raises(QueueEmpty, match=r"refused POST /ves/next: the queue is empty"):
            await call(fetch_next, config, store)
        assert sorted(p.name for p in store.iterdir()) == ["ob_1.json", "ob_2.json"]


async def test_a_fetched_ob_is_never_overwritten(ob_folder, tmp_path):
    (tmp_path / "ob_1.json").write_text("kept")
    async with run_tino(ob_folder, "--instrument", "FORS2") as tino:
        ob, path = await call(fetch_next, config_for(tino.url), tmp_path)
    assert path == tmp_path / "ob_1-2.json"
    assert (tmp_path / "ob_1.json").read_text() == "kept"


async def test_an_ob_that_cannot_be_kept_is_named(ob_folder, tmp_path):
    (tmp_path / "taken").write_text("a file, not a folder")
    async with run_tino(ob_folder, "--instrument", "FORS2") as tino:
        with pytest.raises(OttoError, match=rf"OB 1 was fetched but cannot be kept as {tmp_path}/taken/ob_1.json: file exists"):
            await call(fetch_next, config_for(tino.url), tmp_path / "taken")


async def test_instrument_mismatch_and_refused_events(ob_folder):
    async with run_tino(ob_folder, "--instrument", "FORS2") as tino:
        client = OttoClient(OttoConfig(url=tino.url, insid="UVES"))
        with pytest.raises(OttoError, match=r"refused GET /ves: tino serves the OBs of FORS2, not of UVES \(HTTP 409\)"):
            await call(client.list_queue)
        with pytest.raises(OttoError, match=r"refused POST /events: no OB with obId 42"):
            await call(client.report, 42, "Started")


async def test_otto_down(tmp_path):
    url = closed_port_url()
    with pytest.raises(OttoError, match=rf"OTTO at {url} is not reachable: connection refused"):
        await call(fetch_next, config_for(url), tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_no_otto_configured(tmp_path):
    with pytest.raises(OttoError, match="OTTO is not configured"):
        fetch_next(Config(server_url="localhost:8000"), tmp_path)


GARBAGE = {
    "not HTTP": (b"\x00\xff\xfe garbage\r\n\r\n", r"did not answer GET /ves in HTTP"),
    "HTTP 500 with HTML": (
        b"HTTP/1.0 500 Internal Server Error\r\nContent-Type: text/html\r\n\r\n<h1>oops</h1>",
        r"answered GET /ves with HTTP 500 Internal Server Error",
    ),
    "200 not JSON": (
        b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n<html>hello</html>",
        r"answered GET /ves with something not JSON: b'<html>hello</html>'",
    ),
    "JSON without OBs": (
        b'HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n{"queue": []}',
        r"answered GET /ves without a list of OBs",
    ),
    "silence": (None, r"did not answer GET /ves within 0.5 s"),
}


@pytest.mark.parametrize("answer, error", GARBAGE.values(), ids=GARBAGE.keys())
async def test_misbehaving_otto(answer, error, nursery):
    async def handler(stream):
        await stream.receive_some()
        if answer is None:
            await trio.sleep_forever()
        await stream.send_all(answer)
        await stream.aclose()

    listeners = await nursery.start(functools.partial(trio.serve_tcp, handler, 0, host="127.0.0.1"))
    port = listeners[0].socket.getsockname()[1]
    client = OttoClient(OttoConfig(url=f"http://127.0.0.1:{port}"), timeout=0.5)
    with pytest.raises(OttoError, match=error):
        await call(client.list_queue)
    nursery.cancel_scope.cancel()


def test_bad_url():
    with pytest.raises(OttoError, match="must start with http:// or https://"):
        OttoClient(OttoConfig(url="127.0.0.1:5000"))


async def test_the_queue_as_the_shell_shows_it_after_reconfiguring(ob_folder, tmp_path):
    session = OttoSession(OttoConfig(url=closed_port_url()), tmp_path)
    with pytest.raises(OttoError, match="connection refused"):
        await session.list_queue()
    async with run_tino(ob_folder, "--instrument", "FORS2") as tino:
        session.reconfigure(OttoConfig(url=tino.url, insid="FORS2"))
        assert session.config.url == tino.url
        await request("POST", tino.url + "ves/next")
        assert format_queue(await session.list_queue()) == (
            "OTTO queue of FORS2:\n"
            "       1  Fetched    first\n"
            ">      2  Queued     second"
        )


async def test_fetch_with_otto_down_loads_nothing(tmp_path):
    url = closed_port_url()
    lines = []

    async def command(line):
        lines.append(line)

    with pytest.raises(OttoError, match="is not reachable: connection refused"):
        await OttoSession(OttoConfig(url=url), tmp_path).fetch(command)
    assert lines == [] and list(tmp_path.iterdir()) == []
