"""The location service's directory, as any seqserver shows it: ``locate`` and ``directory`` events.

Every server, a sequence component or not, can show its clients (the web GUI's
Directory tab, a shell) the directory of the location service it would register in:
``--redis``, else ``SEQ_REGISTRY``, else the embedded registry of its machine.
``locate [PATTERN]`` answers with the entries; ``locate --watch`` also sends the
client a ``directory`` event with the whole listing, then one for each registration,
change and removal as it happens, until the client leaves or sends ``locate
--unwatch``. However many clients watch, the server runs one watcher of the location
service, from the first client that watches to the last one leaving: what one client
asks costs the registry nothing more.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import structlog
import trio

import protocol
from protocol import Outcome
from seqlocation import (
    CHANGED, REACHABLE, REGISTERED, REMOVED, UNREACHABLE, Change, Entry, LocationError, matches, open_directory,
)
from seqlocation.tool import describe
from seqserver.outbox import Burst, Client

log = structlog.get_logger("seqserver.directory")

LOCATE = "locate"
CLOSE_TIMEOUT = 5.0  # seconds a stopped watcher has to close the registry


@dataclass
class _Following:
    """The one watcher of the location service, while it runs: what it knows of the directory."""

    loop: trio.CancelScope  # of the loop taking the changes
    closing: trio.CancelScope  # of the whole watcher, shielded from the server's cancellation
    registry: str  # where the directory is, as the location service names it
    entries: dict[str, Entry]  # name -> entry, kept current by the changes
    unreachable: str | None = None  # why the registry cannot be reached now, while it cannot

    def stop(self) -> None:
        """End the loop; the watch and the registry then close in order, within CLOSE_TIMEOUT."""
        self.loop.cancel()
        self.closing.deadline = trio.current_time() + CLOSE_TIMEOUT

    def take(self, change: Change) -> None:
        if change.kind in (REGISTERED, CHANGED):
            self.entries[change.entry.name] = change.entry
        elif change.kind == REMOVED:
            self.entries.pop(change.entry.name, None)
        elif change.kind == UNREACHABLE:
            self.unreachable = change.why
        elif change.kind == REACHABLE:
            self.unreachable = None


@dataclass
class _Watch:
    """One client's watch: the names it follows, and the task that ends the watch when the client leaves."""

    pattern: str | None
    forget: trio.CancelScope = field(default_factory=trio.CancelScope)


class DirectoryFeed:
    """The ``locate`` command of one server, and the ``directory`` events of the clients that watch."""

    def __init__(self, redis: str | None = None) -> None:
        self._redis = redis  # --redis [HOST:]PORT; None: SEQ_REGISTRY, else the embedded registry
        self._watches: dict[Client, _Watch] = {}
        self._following: _Following | None = None
        self._starting = trio.Lock()  # clients that watch at once wait for the one watcher to start
        self._nursery: trio.Nursery | None = None
        self._closed = False  # the server is stopping

    async def run(self, *, task_status=trio.TASK_STATUS_IGNORED) -> None:
        """Host the watcher and the watches until cancelled (run it in the server's nursery)."""
        async with trio.open_nursery() as nursery:
            self._nursery = nursery
            task_status.started()
            try:
                await trio.sleep_forever()
            finally:
                self._closed = True
                if self._following is not None:
                    self._following.stop()
                    self._following = None

    async def locate(self, client: Client, command: protocol.Command, words: list[str]) -> Outcome:
        """Carry out one ``locate`` line of ``client``."""
        try:
            args = protocol.parse(command, words)
        except (protocol.HelpRequested, protocol.CommandLineError) as stop:
            return Outcome.from_parser(stop)
        if args.unwatch:
            return self._unwatch(client)
        try:
            if args.watch:
                registry, entries = await self._watch(client, args.pattern)
            else:
                async with open_directory(self._redis) as directory:
                    registry, entries = directory.address, await directory.entries(args.pattern)
        except LocationError as exc:
            return Outcome.failure(f"locate: the location service cannot be used: {exc}")
        text = _table(entries) or f"no component or sequencer{f' matching {args.pattern!r}' if args.pattern else ''}"
        if args.watch:
            text += f"\nwatching {registry}: the changes follow as directory events (locate --unwatch to stop)"
        return Outcome(text, data=[entry.to_dict() for entry in entries])

    # -- watching ------------------------------------------------------------------------------

    async def _watch(self, client: Client, pattern: str | None) -> tuple[str, list[Entry]]:
        """Send ``client`` the directory now and every change after; (registry, the entries now)."""
        async with self._starting:
            if self._following is None:
                await self._nursery.start(self._follow)
        # From here on nothing waits: the listing is the directory as of the first change sent after it.
        following = self._following
        if following is None:  # it failed as soon as it had started (its log says why)
            raise LocationError("the server's watcher of the location service stopped at once: try again")
        watch = self._watches.get(client)
        if watch is None:
            watch = self._watches[client] = _Watch(pattern)
            self._nursery.start_soon(self._forget_when_gone, client, watch.forget)
        watch.pattern = pattern
        entries = sorted((e for e in following.entries.values() if matches(pattern, e.name)), key=lambda e: e.name)
        events = [_event("listed", following.registry, entries=[entry.to_dict() for entry in entries])]
        if following.unreachable is not None:
            events.append(_event(UNREACHABLE, following.registry, why=following.unreachable))
        client.offer(Burst.of(events))
        return following.registry, entries

    def _unwatch(self, client: Client) -> Outcome:
        if self._forget(client) is None:
            return Outcome("this client was not watching the directory")
        return Outcome("no longer watching the directory")

    async def _forget_when_gone(self, client: Client, scope: trio.CancelScope) -> None:
        with scope:
            await client.outbox.written_out.wait()
            self._forget(client)

    def _forget(self, client: Client) -> _Watch | None:
        """End ``client``'s watch; the watcher stops with the last one."""
        watch = self._watches.pop(client, None)
        if watch is None:
            return None
        watch.forget.cancel()
        if not self._watches and self._following is not None:
            self._following.stop()
            self._following = None
        return watch

    async def _follow(self, *, task_status=trio.TASK_STATUS_IGNORED) -> None:
        """The one watcher: keep the listing current and send each change to the clients that watch it.

        Before it started, what goes wrong goes to the client that asked (LocationError: the
        registry cannot be used). After, an outage of the registry is a change like the others
        (unreachable, then reachable) and the location service's watcher keeps trying; anything
        else ends every watch, the clients told why. It is shielded from the server's own
        cancellation and stopped (``_Following.stop``) when the last client stops watching or the
        server stops: the watch and the registry then close in order, where cancelling all at once
        could leave the Redis client failing to unsubscribe from a connection it already closed."""
        following = None
        with trio.CancelScope(shield=True) as closing:
            try:
                async with open_directory(self._redis) as directory, directory.watch() as watcher:
                    following = self._following = _Following(trio.CancelScope(), closing, directory.address,
                                                             dict(watcher.entries))
                    task_status.started()
                    if self._closed:  # the server began to stop while this watcher was starting
                        following.stop()
                    with following.loop:
                        async for change in watcher:
                            following.take(change)
                            if self._following is following:
                                self._send(following.registry, change)
            except Exception as exc:
                if following is None:
                    raise
                log.exception("the directory's watcher failed")
                if self._following is following:
                    self._send(following.registry, Change(UNREACHABLE, why=f"the server stopped watching it: {exc} "
                                                          "(locate --watch to try again)"))
                    for client in list(self._watches):
                        self._forget(client)
            finally:
                if self._following is following:
                    self._following = None

    def _send(self, registry: str, change: Change) -> None:
        """One change, to every client watching what it is about (encoded once)."""
        if change.entry is None:
            event = _event(change.kind, registry, **({"why": change.why} if change.kind == UNREACHABLE else {}))
        else:
            event = _event(change.kind, registry, entry=change.entry.to_dict(),
                           **({"why": change.why} if change.kind == REMOVED else {}))
        burst = Burst.of([event])
        for client, watch in self._watches.items():
            if change.entry is None or matches(watch.pattern, change.entry.name):
                client.offer(burst)


def _event(change: str, registry: str, **fields) -> protocol.Event:
    return protocol.Event(kind="directory", ts=time.time(), change=change, registry=registry, **fields)


def _table(entries: list[Entry]) -> str:
    """The entries as ``seqtool locate`` lists them: name, kind, state, address, and what it runs or runs on."""
    rows = [describe(entry) for entry in entries]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))] if rows else []
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows)
