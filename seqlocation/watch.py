"""Following the directory: the current entries, then every change as it happens.

The backend only hints that something changed (a Redis keyspace notification for one
key, or a poll tick of the embedded registry meaning "look at everything"); the watcher
reads what is there and compares it with what it knew, so both backends report the same
changes. On a (re)connection it lists everything again, since Redis does not keep the
notifications sent while nobody listened: what went away meanwhile is reported as
removed for an unknown reason.
"""
from __future__ import annotations

import math
import time
from collections.abc import AsyncIterator, Callable

import trio

from seqlocation.entry import (
    CHANGED, EXPIRED, REACHABLE, REGISTERED, REMOVED, TAKEN_OVER, UNKNOWN, UNREACHABLE, UNREGISTERED,
    Change, Entry, decode,
)
from seqlocation.errors import RegistryUnavailable
from seqlocation.store import DELETED, ENTRY, EXPIRED as EXPIRED_EVENT, RESYNC, SET, Record, Store

#: How long a watcher that lost the registry waits before it tries again.
RETRY_PERIOD = 0.5


def entry_of(key: str, record: Record) -> Entry:
    _, payload = decode(record.value)
    return Entry.from_dict(payload["entry"]).replace(instance=record.token)


class Watcher:
    """What ``Directory.watch`` gives: ``entries`` as they were when watching began
    (name -> Entry), then the changes since, by ``async for change in watcher``."""

    def __init__(self, entries: dict[str, Entry], changes: trio.MemoryReceiveChannel):
        self.entries = entries
        self._changes = changes

    def __aiter__(self) -> AsyncIterator[Change]:
        return self._changes.__aiter__()


async def follow(
    store: Store,
    wanted: Callable[[str], bool],
    send: trio.MemorySendChannel,
    *,
    task_status=trio.TASK_STATUS_IGNORED,
) -> None:
    """Send the changes of the entries whose name is ``wanted``, until cancelled; starts
    (giving a Watcher's first entries) once subscribed and listed. Keeps trying while the
    registry is unreachable, saying so once (UNREACHABLE) and again when back (REACHABLE)."""
    known: dict[str, Record] = {}
    started = False
    unreachable = False
    while True:
        try:
            async with store.hints(ENTRY) as hints:
                async for hint in hints:
                    if hint.event == RESYNC:
                        changes = _compare_all(known, await _wanted_records(store, wanted))
                    elif hint.key and wanted(hint.key[len(ENTRY):]):
                        changes = await _compare_one(store, known, hint.event, hint.key)
                    else:
                        continue
                    if not started:
                        task_status.started({entry_of(k, r).name: entry_of(k, r) for k, r in known.items()})
                        started = True
                        changes = []
                    if unreachable:
                        unreachable = False
                        changes.insert(0, Change(REACHABLE, why=store.address))
                    for change in changes:
                        send.send_nowait(change)
        except RegistryUnavailable as exc:
            if not started:
                raise
            if not unreachable:
                unreachable = True
                send.send_nowait(Change(UNREACHABLE, why=str(exc)))
        await trio.sleep(RETRY_PERIOD)


async def _wanted_records(store: Store, wanted: Callable[[str], bool]) -> dict[str, Record]:
    return {key: record for key, record in (await store.scan(ENTRY)).items() if wanted(key[len(ENTRY):])}


def _compare_all(known: dict[str, Record], current: dict[str, Record]) -> list[Change]:
    """The changes from ``known`` to ``current`` (and ``known`` becomes ``current``).

    An entry gone before its known expiry was unregistered; one gone after it expired;
    one gone where the backend gives no expiry (Redis, seen on reconnecting) went for a
    reason nobody saw."""
    now = time.time()
    changes = []
    for key in known.keys() - current.keys():
        expires = known[key].expires
        why = UNKNOWN if expires is None else EXPIRED if expires <= now else UNREGISTERED
        changes.append(Change(REMOVED, entry_of(key, known.pop(key)), why))
    for key, record in sorted(current.items()):
        changes.extend(_compare(known, key, record))
    return changes


async def _compare_one(store: Store, known: dict[str, Record], event: str, key: str) -> list[Change]:
    if event == SET:
        record = await store.get(key)
        return _compare(known, key, record) if record else []
    if event in (DELETED, EXPIRED_EVENT) and key in known:
        return [Change(REMOVED, entry_of(key, known.pop(key)), UNREGISTERED if event == DELETED else EXPIRED)]
    return []


def _compare(known: dict[str, Record], key: str, record: Record) -> list[Change]:
    before = known.get(key)
    known[key] = record
    if before is None:
        return [Change(REGISTERED, entry_of(key, record))]
    if before.token != record.token:
        return [Change(REMOVED, entry_of(key, before), TAKEN_OVER), Change(REGISTERED, entry_of(key, record))]
    if before.value != record.value:
        return [Change(CHANGED, entry_of(key, record))]
    return []


def open_changes() -> tuple[trio.MemorySendChannel, trio.MemoryReceiveChannel]:
    """An unbounded channel: a watcher's changes wait for a slow reader rather than being lost."""
    return trio.open_memory_channel(math.inf)
