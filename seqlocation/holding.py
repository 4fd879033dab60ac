"""Names held by one live process: taken atomically, refreshed, re-made, released.

A registration (a component and the sequencer it runs) and a sequence manager's claims
are both a Holding: a set of keys owned by one random token, refreshed every
REFRESH_PERIOD while the process lives, so they expire TTL seconds after it dies.
A key that vanished while its owner lives (Redis restarted or flushed) is made again
at the next refresh; one that another live owner took meanwhile ends the holding with
NameTaken, since two processes must never believe they hold one name.
"""
from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import structlog
import trio

from seqlocation.entry import Owner, decode, encode
from seqlocation.errors import NameTaken, RegistryUnavailable
from seqlocation.store import OPERATION_TIMEOUT, REFRESH_PERIOD, TTL, Record, Store

log = structlog.get_logger("seqlocation")

#: describe(key, record) -> (message, holder) for the NameTaken of a refused take.
Describe = Callable[[str, Record], tuple[str, Any]]


class Holding:
    def __init__(self, store: Store, describe: Describe):
        self.store = store
        self.token = uuid.uuid4().hex
        self.owner = Owner.current()
        self._describe = describe
        self._held: dict[str, str] = {}  # key -> stored value
        self._lock = trio.Lock()  # a change and a refresh never interleave
        self._unreachable = False

    @property
    def keys(self) -> list[str]:
        return list(self._held)

    async def take(self, key: str, payload: dict[str, Any]) -> None:
        """Hold ``key`` with ``payload``, taking it over from a dead owner; NameTaken when a live one holds it."""
        async with self._lock:
            await self._take(key, encode(self.owner, payload))

    async def put(self, key: str, payload: dict[str, Any]) -> None:
        """Change what a held key says (made again if it vanished)."""
        async with self._lock:
            value = encode(self.owner, payload)
            if not await self.store.replace(key, self.token, self.token, value, TTL):
                await self._take(key, value)
            self._held[key] = value

    async def drop(self, key: str) -> None:
        async with self._lock:
            self._held.pop(key, None)
            await self.store.remove(key, self.token)

    async def keep_alive(self) -> None:
        """Refresh every held key until cancelled; raises NameTaken if a key was lost to another owner."""
        while True:
            await trio.sleep(REFRESH_PERIOD)
            async with self._lock:
                try:
                    for key, value in list(self._held.items()):
                        if not await self.store.refresh(key, self.token, TTL):
                            await self._take(key, value)
                            log.warning("registration made again", key=key, registry=self.store.address)
                except RegistryUnavailable as exc:
                    if not self._unreachable:
                        log.warning("registry unreachable; retrying", error=str(exc))
                    self._unreachable = True
                else:
                    if self._unreachable:
                        log.info("registry reachable again", registry=self.store.address)
                    self._unreachable = False

    async def release_all(self) -> None:
        """Remove every held key at once (shielded, bounded: on cancel too; if the registry
        is unreachable they expire on their own)."""
        with trio.CancelScope(shield=True), trio.move_on_after(OPERATION_TIMEOUT):
            for key in list(self._held):
                try:
                    await self.store.remove(key, self.token)
                except RegistryUnavailable as exc:
                    log.warning("could not unregister; it will expire", key=key, error=str(exc))
                    break
                del self._held[key]

    async def _take(self, key: str, value: str) -> None:
        while (holder := await self.store.create(key, self.token, value, TTL)) is not None:
            owner, _ = decode(holder.value)
            if not owner.is_dead():
                message, holder_data = self._describe(key, holder)
                raise NameTaken(message, holder_data)
            if await self.store.replace(key, holder.token, self.token, value, TTL):
                log.info("took over the name of a dead owner", key=key, owner=str(owner))
                break
        self._held[key] = value
