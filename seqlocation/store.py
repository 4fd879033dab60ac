"""What a registry backend provides: keys that expire unless refreshed, owned by a token.

Both backends (``redis_store`` across hosts, ``file_store`` on one machine) implement
this small set of atomic operations, and everything else (entries, liveness, watching,
claims) is built once on top of it, so the two behave alike by construction.

Keys are short paths: ``entry/IRIS@IRIS_ifsonly``, ``claim/ESW.ESW_77``, ``data/...``.
A record is owned by the random token that created it: only that token refreshes,
replaces or removes it, so an owner that lost its name (it expired and someone else
took it) can never overwrite the new holder.
"""
from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Protocol

#: A registration expires this long after its last refresh: a ``kill -9`` is seen within it.
TTL = 1.5
#: An owner refreshes this often, so that two refreshes in a row may be late before it expires.
REFRESH_PERIOD = TTL / 3
#: Longest wait for one operation on a registry before it is called unreachable.
OPERATION_TIMEOUT = 3.0

# The key namespaces.
ENTRY = "entry/"
CLAIM = "claim/"
DATA = "data/"

RESYNC = "resync"  # a hint to list everything again (a poll tick, a (re)subscription)
SET = "set"
DELETED = "del"
EXPIRED = "expired"


@dataclass(frozen=True)
class Record:
    """One stored value, its owner's token, and when it expires unless refreshed
    (seconds since the epoch; None where the backend does not say)."""

    token: str
    value: str
    expires: float | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Hint:
    """Something may have changed: ``key`` was ``event`` (set, del, expired), or, with
    ``key`` None, anything may have (list again)."""

    event: str
    key: str | None = None


class Store(Protocol):
    """The operations a backend provides; each is atomic across processes (and hosts)."""

    address: str  # where it is, for messages: "redis 127.0.0.1:6379/0"

    async def create(self, key: str, token: str, value: str, ttl: float) -> Record | None:
        """Store ``value`` under ``key`` if no live record holds it. None on success, else the holder."""

    async def replace(self, key: str, expected: str, token: str, value: str, ttl: float) -> bool:
        """Swap the record owned by ``expected`` for a new one; False when ``expected`` no longer holds it."""

    async def refresh(self, key: str, token: str, ttl: float) -> bool:
        """Push the expiry of ``token``'s record ``ttl`` seconds ahead; False when it holds it no longer."""

    async def remove(self, key: str, token: str) -> bool:
        """Delete ``token``'s record; False when it holds it no longer."""

    async def get(self, key: str) -> Record | None:
        """The live record under ``key``."""

    async def scan(self, prefix: str) -> dict[str, Record]:
        """Every live record whose key starts with ``prefix``."""

    def hints(self, prefix: str) -> AbstractAsyncContextManager[AsyncIterator[Hint]]:
        """Hints of changes to keys under ``prefix``, starting with a RESYNC once
        subscribed; raises RegistryUnavailable when the subscription is lost."""

    # Plain data, kept until deleted (a server's work log).
    async def set_value(self, key: str, value: str) -> None: ...

    async def get_value(self, key: str) -> str | None: ...

    async def append(self, key: str, value: str) -> None: ...

    async def read_list(self, key: str) -> list[str]: ...

    async def delete(self, key: str) -> None: ...
