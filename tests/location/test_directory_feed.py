"""Any seqserver shows the directory of its location service: ``locate`` lists it, ``locate --watch``
sends the client the listing and then every change as a ``directory`` event, through one watcher of
the registry per server however many clients watch.

Real processes: seqserver components and a server that is no component, over the embedded registry
and a real ``redis-server``; clients speak the protocol over TCP.
"""
from __future__ import annotations

import contextlib
import signal
import subprocess

import trio

import seqclient
from registry_harness import TIMEOUT, Registry, read_line
from test_components import SHELL, component, running_server


class Watching:
    """A client's picture of the directory, made from the ``directory`` events it receives, as a page makes it."""

    def __init__(self, connection: seqclient.Connection):
        self.events = connection.events()
        self.entries: dict[str, dict] = {}
        self.registry = None
        self.unreachable = None
        self.last: dict = {}

    def take(self, event: dict) -> dict:
        assert event["kind"] == "directory", event
        self.registry = event["registry"]
        if event["change"] == "listed":
            self.entries = {entry["name"]: entry for entry in event["entries"]}
        elif event["change"] in ("registered", "changed"):
            self.entries[event["entry"]["name"]] = event["entry"]
        elif event["change"] == "removed":
            del self.entries[event["entry"]["name"]]
        self.unreachable = event["why"] if event["change"] == "unreachable" else None
        self.last = event
        return event

    async def next(self) -> dict:
        """The next directory event (the server's other events, a tree loaded..., pass by)."""
        with trio.fail_after(TIMEOUT):
            while (event := await self.events.receive())["kind"] != "directory":
                pass
        return self.take(event)

    async def until(self, condition) -> dict:
        """Take directory events until ``condition()`` holds (at once if it holds already); the last one taken."""
        while not condition():
            await self.next()
        return self.last

    def arrived(self) -> list[dict]:
        """The directory events that came and were not taken yet (taking them), without waiting."""
        events = []
        while True:
            try:
                event = self.events.receive_nowait()
            except trio.WouldBlock:
                return events
            if event["kind"] == "directory":
                events.append(self.take(event))


def plain_server(registry: Registry, *args: str):
    """A seqserver that is no sequence component, using ``registry`` as every seq process would."""
    return running_server(*args, env=registry.env)


async def test_any_server_lists_the_directory_and_sends_its_changes_to_the_clients_that_watch(registry, observatory):
    async with plain_server(registry) as server, component(registry, observatory, "IRIS.IRIS_1", "127.0.0.2") as iris, \
            server.connect() as everything, server.connect() as iris_only:
        listed = await everything.command("locate")
        assert listed.ok and [entry["name"] for entry in listed.data] == ["IRIS.IRIS_1"]
        assert listed.output == f"IRIS.IRIS_1  component  idle  {iris.address}"
        assert (await everything.command("locate ESW")).output == "no component or sequencer matching 'ESW'"

        watched = await everything.command("locate --watch")
        assert watched.ok and watched.output.endswith("(locate --unwatch to stop)")
        all_of_it = Watching(everything)
        [listing] = all_of_it.arrived()  # the listing came before the reply
        assert listing["change"] == "listed" and set(all_of_it.entries) == {"IRIS.IRIS_1"}
        assert f"watching {all_of_it.registry}: " in watched.output
        assert (await iris_only.command("locate IRIS@* --watch")).ok
        iris_sequencers = Watching(iris_only)
        assert (await iris_sequencers.next())["entries"] == []

        async with component(registry, observatory, "ESW.ESW_77") as esw:
            registered = await all_of_it.until(lambda: "ESW.ESW_77" in all_of_it.entries)
            assert registered["change"] == "registered" and registered["entry"]["port"] == esw.port
            async with iris.connect() as operator:
                assert (await operator.command("loadscript IRIS IRIS_ifsonly")).ok
            await all_of_it.until(lambda: all_of_it.entries["IRIS.IRIS_1"]["state"] == "running"
                                  and "IRIS@IRIS_ifsonly" in all_of_it.entries)
            sequencer = await iris_sequencers.next()
            assert (sequencer["change"], sequencer["entry"]["component"]) == ("registered", "IRIS.IRIS_1")

            esw.process.send_signal(signal.SIGKILL)
            removed = await all_of_it.until(lambda: "ESW.ESW_77" not in all_of_it.entries)
            assert (removed["change"], removed["why"]) == ("removed", "expired")

        assert (await everything.command("locate --unwatch")).output == "no longer watching the directory"
        async with iris.connect() as operator:
            assert (await operator.command("unloadscript")).ok
        removed = await iris_sequencers.until(lambda: "IRIS@IRIS_ifsonly" not in iris_sequencers.entries)
        assert (removed["change"], removed["entry"]["name"], removed["why"]) == (
            "removed", "IRIS@IRIS_ifsonly", "unregistered")
        assert iris_sequencers.arrived() == []  # the component's own change is not about IRIS@*
        assert (await everything.command("nodes")).ok  # a round trip: what was sent before it has come
        assert all_of_it.arrived() == []
        assert (await everything.command("locate --unwatch")).output == "this client was not watching the directory"


async def test_locate_says_why_when_the_server_cannot_use_its_registry(registry):
    with trio.socket.socket() as probe:  # a port where no Redis listens
        await probe.bind(("127.0.0.1", 0))
        nowhere = f"127.0.0.1:{probe.getsockname()[1]}"
    async with plain_server(registry, "--redis", nowhere) as server, server.connect() as client:
        for line in ("locate", "locate --watch"):
            refused = await client.command(line)
            assert not refused.ok
            assert refused.error.startswith(f"locate: the location service cannot be used: redis {nowhere}/0 is "
                                            "unavailable"), refused.error
        usage = await client.command("locate --watch --unwatch")
        assert "argument --unwatch: not allowed with argument --watch" in usage.error
        assert (await client.command("nodes")).ok  # the client is still served
    broken = Registry("misconfigured", "ftp://registry")
    async with plain_server(broken) as server, server.connect() as client:
        refused = await client.command("locate")
        assert refused.error == ("locate: the location service cannot be used: SEQ_REGISTRY=ftp://registry: expected "
                                 "redis://HOST:PORT/DB or file:FOLDER")


async def redis_watchers(registry: Registry) -> int:
    """How many clients are subscribed to Redis's notifications (what a watcher of the directory holds)."""
    listed = registry.redis.command("CLIENT", "LIST", "TYPE", "pubsub")
    return len([line for line in listed.splitlines() if line.strip()])


async def test_one_watcher_of_the_registry_however_many_clients_watch(redis_registry):
    registry = redis_registry
    async with plain_server(registry) as server:
        async with server.connect() as first, server.connect() as second, server.connect() as third:
            for client in (first, second, third):
                assert (await client.command("locate --watch")).ok
            assert await redis_watchers(registry) == 1
            assert (await first.command("locate --unwatch")).ok
            assert await redis_watchers(registry) == 1
        # The last watching client gone, the server stops watching.
        with trio.fail_after(TIMEOUT):
            while await redis_watchers(registry):
                await trio.sleep(0.05)


async def test_a_watch_rides_out_redis_restarting(redis_registry, observatory):
    registry = redis_registry
    async with plain_server(registry) as server, component(registry, observatory, "IRIS.IRIS_1"), \
            server.connect() as client:
        assert (await client.command("locate --watch")).ok
        watching = Watching(client)
        await watching.next()
        registry.redis.restart()  # everything Redis held is lost; the component registers again
        lost = await watching.until(lambda: watching.unreachable is not None)
        assert lost["why"].startswith(f"redis {registry.redis.address}/0 is unavailable")
        await watching.until(lambda: watching.last["change"] == "reachable")
        await watching.until(lambda: "IRIS.IRIS_1" in watching.entries)


async def test_a_remote_shell_prints_the_changes_it_watches(registry, observatory):
    async with plain_server(registry) as server:
        shell = await trio.lowlevel.open_process([*SHELL, "--connect", server.address], stdin=subprocess.PIPE,
                                                 stdout=subprocess.PIPE, env=registry.env)
        try:
            await shell.stdin.send_all(b"locate --watch\n")
            with trio.fail_after(TIMEOUT):
                while "watching" not in await read_line(shell.stdout):
                    pass
            async with component(registry, observatory, "ESW.ESW_77") as esw:
                with trio.fail_after(TIMEOUT):
                    line = await read_line(shell.stdout)
                assert line == f"registered ESW.ESW_77  component  idle  {esw.address}"
                esw.process.send_signal(signal.SIGKILL)
                with trio.fail_after(TIMEOUT):
                    assert await read_line(shell.stdout) == "removed ESW.ESW_77 (expired)"
        finally:
            await shell.stdin.aclose()
            with trio.move_on_after(TIMEOUT):
                await shell.wait()
            if shell.returncode is None:
                shell.kill()
                await shell.wait()



async def test_a_server_stops_cleanly_whenever_its_clients_stop_watching(redis_registry):
    """Its watcher closes the registry in order, however close to the stop its last client left."""
    for clients_leave_first in (True, False, True, False):
        async with plain_server(redis_registry) as server:
            async with contextlib.AsyncExitStack() as clients:
                for _ in range(10):
                    client = await clients.enter_async_context(server.connect())
                    assert (await client.command("locate --watch")).ok
                if not clients_leave_first:  # the server stops while they watch, and tells them
                    server.process.send_signal(signal.SIGTERM)
                    with trio.fail_after(TIMEOUT):
                        await server.process.wait()
        assert server.process.returncode == 0
