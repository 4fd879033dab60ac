"""Several clients of one server: commands relayed in order, replies routed, events to all."""
import os
import threading

import msgpack
import trio

import protocol
from seqclient import SyncClient
from server_harness import SCRIPTS, hello, is_run, is_state, next_event, states_in_nodes, states_in_snapshot

EXPOSURE = SCRIPTS / "exposure.py"


async def test_replies_go_to_the_client_that_asked_and_events_to_all(server):
    async with server.connect("a") as a, server.connect("b") as b, server.connect("c") as c:
        loaded = await a.command(f"load {EXPOSURE}")
        assert loaded.ok, loaded.error
        # Every client sees the tree the first one loaded.
        for conn in (a, b, c):
            tree = await next_event(conn.events(), lambda e: e.get("kind") == "tree" and e["action"] == "loaded")
            assert [s["name"] for s in tree["snapshot"]["scripts"]] == ["exposure"]

        # Commands from all three at once, with the same request ids on every connection:
        # each reply answers its own client's command.
        async def ask(conn, line, answers):
            answers.append((line, await conn.command(line)))

        answers = {a: [], b: [], c: []}
        async with trio.open_nursery() as nursery:
            for _ in range(10):
                nursery.start_soon(ask, a, "modules", answers[a])
                nursery.start_soon(ask, b, "nodes", answers[b])
                nursery.start_soon(ask, c, "lsob", answers[c])
        for conn, expected in ((a, "modules"), (b, "nodes"), (c, "lsob")):
            assert [line for line, _ in answers[conn]] == [expected] * 10
            assert all(reply.ok for _, reply in answers[conn])
        assert all("exposure" in reply.output for _, reply in answers[a])
        assert all("expose" in reply.output for _, reply in answers[b])

        # b starts the run and c aborts it: everybody sees it start and end.
        assert (await b.command("run")).ok
        for conn in (a, b, c):
            await next_event(conn.events(), is_run("running"))
        assert (await c.command("abort")).ok
        for conn in (a, b, c):
            await next_event(conn.events(), is_run("aborted"))


async def test_a_late_joiner_sees_what_the_others_see(server):
    async with server.connect("operator") as operator:
        assert (await operator.command(f"load {EXPOSURE}")).ok
        assert (await operator.command("skip -find_name readout")).ok
        assert (await operator.command("run")).ok
        await next_event(operator.events(), lambda e: e.get("kind") == "state" and e["name"] == "expose"
                         and e["state"] == "RUNNING")
        nodes = await operator.command("nodes")
        async with server.connect("late") as late:
            snapshot = late.welcome["snapshot"]
            assert snapshot["status"] == "running"
            assert states_in_snapshot(snapshot) == states_in_nodes(nodes.output)
            assert "RUNNING" in states_in_snapshot(snapshot).values()
            assert (await late.command("abort")).ok
            await next_event(late.events(), is_run("aborted"))
        async with server.connect("later") as later:
            assert states_in_snapshot(later.welcome["snapshot"]) == states_in_nodes(
                (await operator.command("nodes")).output
            )


def drive_from_a_thread(host: str, port: int) -> tuple[str, list[dict]]:
    """What a plain-threaded program does with SyncClient: a command, a run, its events."""
    events, finished = [], threading.Event()

    def on_event(event):
        events.append(event)
        if event.get("kind") == "run" and event["status"] == "finished":
            finished.set()

    with SyncClient(host, port, client="threaded", on_event=on_event) as conn:
        assert conn.welcome["type"] == "welcome"
        assert conn.command("load seq.samples.a", timeout=30).ok
        assert conn.command("run", timeout=30).ok
        assert finished.wait(timeout=30), "the run did not finish"
        return conn.command("nodes", timeout=30).output, events


async def test_a_plain_thread_drives_the_server_with_sync_client(server):
    nodes, events = await trio.to_thread.run_sync(drive_from_a_thread, server.host, server.port)
    assert set(states_in_nodes(nodes).values()) == {"FINISHED"}
    assert any(e.get("kind") == "state" and e["name"] == "b" and e["state"] == "FINISHED" for e in events)


HANGING_IMPORT = """
with open({fifo!r}) as gate:  # blocks until the test opens the FIFO for writing, then until it closes it
    gate.read()

from seq.lib.nodes import Sequence

def create_sequence(*args, **kw):
    return Sequence.create(lambda: None, name="hang_seq", **kw)
"""


async def test_an_abort_is_relayed_at_once_even_behind_a_load_that_hangs(server, tmp_path):
    fifo = tmp_path / "gate.fifo"
    os.mkfifo(fifo)
    script = tmp_path / "hang.py"
    script.write_text(HANGING_IMPORT.format(fifo=str(fifo)))
    async with server.connect("page") as page:  # one connection, as the GUI's page has
        async with trio.open_nursery() as nursery:
            loaded = []

            async def load():
                loaded.append(await page.command(f"load {script}"))

            nursery.start_soon(load)
            with trio.fail_after(30):
                gate = await trio.to_thread.run_sync(open, fifo, "w", abandon_on_cancel=True)  # the import waits
                aborted = await page.command("abort")
        assert aborted.ok and "aborted the load" in aborted.output
        assert not loaded[0].ok and "did not finish" in loaded[0].error
        gate.close()  # the abandoned import goes on and ends
        assert (await page.command(f"load {EXPOSURE}")).ok
        assert "exposure" in (await page.command("modules")).output


async def test_an_abort_sent_right_behind_a_run_still_comes_after_it(server):
    async with server.connect("loader") as loader:
        assert (await loader.command(f"load {EXPOSURE}")).ok
    with trio.fail_after(30):
        async with await trio.open_tcp_stream(server.host, server.port) as stream:
            await stream.send_all(b"".join([
                hello("hasty"),
                protocol.encode(protocol.Cmd(id=1, line="run")),
                protocol.encode(protocol.Cmd(id=2, line="abort")),
            ]))
            decoder, replies = protocol.Decoder(), {}
            while len(replies) < 2:
                for message in decoder.feed(await stream.receive_some()):
                    if message.type == "reply":
                        replies[message.id] = message
    assert replies[1].ok and replies[2].ok, replies  # not "nothing is running": the run came first


async def test_a_clients_replies_and_errors_come_in_the_order_of_what_it_sent(server):
    async with server.connect("operator") as operator:
        assert (await operator.command(f"load {EXPOSURE}")).ok
        assert (await operator.command("run")).ok
        with trio.fail_after(30):
            async with await trio.open_tcp_stream(server.host, server.port) as stream:
                await stream.send_all(b"".join([
                    hello("pipelining"),
                    protocol.encode(protocol.Cmd(id=1, line="wait")),  # answered when the run stops
                    msgpack.packb({"type": "bogus"}),
                ]))
                decoder, answers = protocol.Decoder(), []

                async def read_answers():
                    while len(answers) < 3:  # the welcome, then the two answers
                        for item in decoder.feed_with_errors(await stream.receive_some()):
                            if getattr(item, "type", None) != "event":
                                answers.append(item)

                async with trio.open_nursery() as nursery:
                    nursery.start_soon(read_answers)
                    await next_event(operator.events(), is_state("expose", "RUNNING"))
                    assert (await operator.command("abort")).ok
    welcome, reply, error = answers
    assert reply.type == "reply" and reply.id == 1 and reply.output == "aborted", reply
    assert error.type == "error" and "bogus" in error.error, error
