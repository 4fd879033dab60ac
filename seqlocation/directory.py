"""The location service as its users see it: register, resolve, list, watch, claim.

A Directory wraps one open Store (Redis or the embedded folder) and is what a server,
a client, ``seqtool locate`` and the sequence manager use::

    async with open_directory(redis=args.redis) as directory:
        entry = await directory.resolve("IRIS.IRIS_ifsonly")
"""
from __future__ import annotations

import contextlib
import difflib
import fnmatch
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass

import trio

from seqlocation import watch
from seqlocation.entry import Entry, Owner, decode
from seqlocation.errors import NotFound, unwrapped
from seqlocation.holding import Holding
from seqlocation.names import lookup_names
from seqlocation.registration import Registration
from seqlocation.selection import open_store, registry_spec
from seqlocation.store import CLAIM, DATA, ENTRY, Record, Store


def matches(pattern: str | None, name: str) -> bool:
    """Whether ``name`` is one ``seqtool locate PATTERN`` shows: a glob (``IRIS@*``) when
    the pattern has wildcards, else any name containing it; a sequencer also matches the
    pattern written in TMT's dotted form (``IRIS.IRIS_ifsonly``)."""
    if not pattern:
        return True
    names = {name, name.replace("@", ".", 1)}
    if any(c in pattern for c in "*?["):
        return any(fnmatch.fnmatchcase(n, pattern) for n in names)
    return any(pattern in n for n in names)


@dataclass(frozen=True)
class Claim:
    """A name claimed by a live process for a purpose (a sequence manager configuring a mode)."""

    name: str
    purpose: str
    owner: Owner


class Directory:
    def __init__(self, store: Store):
        self.store = store
        self.address = store.address
        self.data = Data(store)

    # -- finding

    async def entries(self, pattern: str | None = None) -> list[Entry]:
        """The live entries whose name matches ``pattern`` (see ``matches``), by name."""
        records = await self.store.scan(ENTRY)
        found = [watch.entry_of(key, record) for key, record in records.items()]
        return sorted((e for e in found if matches(pattern, e.name)), key=lambda e: e.name)

    async def resolve(self, name: str) -> Entry:
        """The live entry of ``name`` (TMT's ``IRIS.IRIS_ifsonly`` stands for
        ``IRIS@IRIS_ifsonly``); NotFound, with the names that come close, when none is.
        A client connecting to it checks that the server's instance is ``entry.instance``."""
        for candidate in lookup_names(name):
            if record := await self.store.get(ENTRY + candidate):
                return watch.entry_of(ENTRY + candidate, record)
        known = [key[len(ENTRY):] for key in await self.store.scan(ENTRY)]
        close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise NotFound(f"no component or sequencer {name} in {self.address}{hint}")

    @contextlib.asynccontextmanager
    async def watch(self, pattern: str | None = None) -> AsyncIterator[watch.Watcher]:
        """The entries matching ``pattern`` now (``watcher.entries``) and every change after
        (``async for change in watcher``), until the block ends (what it raises comes out as raised)."""
        send, receive = watch.open_changes()
        with unwrapped():
            async with trio.open_nursery() as nursery:
                entries = await nursery.start(watch.follow, self.store, lambda name: matches(pattern, name), send)
                with receive:
                    yield watch.Watcher(entries, receive)
                nursery.cancel_scope.cancel()

    # -- registering

    async def hold(self, entry: Entry, *, task_status=trio.TASK_STATUS_IGNORED) -> None:
        """Register ``entry`` and keep it alive until cancelled, then unregister it.

        Run it in the server's nursery: ``registration = await nursery.start(directory.hold,
        entry)``; NameTaken (naming the holder) when a live owner holds the name, before
        starting. Refreshes every REFRESH_PERIOD; makes the entry again if it vanished;
        rides out an unreachable registry; unregisters at once when cancelled."""
        holding = Holding(self.store, _describe)
        try:
            registration = Registration(holding, entry)
            await registration.register()
            task_status.started(registration)
            await holding.keep_alive()
        finally:
            await holding.release_all()

    @contextlib.asynccontextmanager
    async def registered(self, entry: Entry) -> AsyncIterator[Registration]:
        """``hold`` as a block: registered inside it (NameTaken before), unregistered when it ends."""
        holding = Holding(self.store, _describe)
        try:
            registration = Registration(holding, entry)
            await registration.register()
            async with _refreshing(holding):
                yield registration
        finally:
            await holding.release_all()

    # -- claims (the sequence manager)

    @contextlib.asynccontextmanager
    async def claiming(self, names: Iterable[str], purpose: str) -> AsyncIterator[list[str]]:
        """Claim every one of ``names`` for ``purpose`` or none (NameTaken naming the first
        claimed by another live process), hold them while the block runs, release them at
        its end. Two processes never hold one claim; a dead one's claims expire."""
        holding = Holding(self.store, _describe)
        try:
            for name in names:
                await holding.take(CLAIM + name, {"purpose": purpose})
            async with _refreshing(holding):
                yield [key[len(CLAIM):] for key in holding.keys]
        finally:
            await holding.release_all()

    async def claims(self) -> list[Claim]:
        """The live claims, by name (not those of a holder seen dead, which are about to expire)."""
        found = []
        for key, record in sorted((await self.store.scan(CLAIM)).items()):
            owner, payload = decode(record.value)
            if not owner.is_dead():
                found.append(Claim(key[len(CLAIM):], payload["purpose"], owner))
        return found


class Data:
    """Plain values and lists kept until deleted (a server's work log), under ``data/``."""

    def __init__(self, store: Store):
        self._store = store

    async def set(self, key: str, value: str) -> None:
        await self._store.set_value(DATA + key, value)

    async def get(self, key: str) -> str | None:
        return await self._store.get_value(DATA + key)

    async def append(self, key: str, value: str) -> None:
        await self._store.append(DATA + key, value)

    async def read_list(self, key: str) -> list[str]:
        return await self._store.read_list(DATA + key)

    async def delete(self, key: str) -> None:
        await self._store.delete(DATA + key)


@contextlib.asynccontextmanager
async def _refreshing(holding: Holding) -> AsyncIterator[None]:
    """Keep ``holding``'s names alive while the block runs (what the block raises comes out as raised)."""
    with unwrapped():
        async with trio.open_nursery() as nursery:
            nursery.start_soon(holding.keep_alive)
            yield
            nursery.cancel_scope.cancel()


def _describe(key: str, record: Record) -> tuple[str, object]:
    """The message and holder of a NameTaken for ``key``."""
    if key.startswith(ENTRY):
        holder = watch.entry_of(key, record)
        return f"{holder.name} is already held by a live {holder.kind} at {holder.address} (pid {holder.pid})", holder
    owner, payload = decode(record.value)
    claim = Claim(key[len(CLAIM):], payload["purpose"], owner)
    return f"{claim.name} is claimed by {claim.purpose} ({owner})", claim


@contextlib.asynccontextmanager
async def open_directory(redis: str | None = None, environ=None) -> AsyncIterator[Directory]:
    """The directory chosen by ``--redis`` (``redis``), else ``SEQ_REGISTRY``, else the
    embedded registry; RegistryUnavailable (naming the address) when it cannot be reached."""
    spec = registry_spec(redis) if environ is None else registry_spec(redis, environ)
    async with open_store(spec) as store:
        yield Directory(store)
