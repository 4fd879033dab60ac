"""The registry in Redis, shared by every host that reaches it, through coredis (native trio).

A record is a string key ``seq:<key>`` holding ``TOKEN VALUE`` with a millisecond
expiry (``SET NX PX`` to create). Changes that depend on the owner's token (replace,
refresh, remove) are small Lua scripts, atomic on the server. Watchers subscribe to
keyspace notifications (``set``, ``del``, ``expired``), which Redis sends to whoever
listens at that moment and to nobody else: a watcher that reconnects lists again.
"""
from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator

import coredis
import coredis.exceptions
from coredis.retry import ConstantRetryPolicy, NoRetryPolicy

from seqlocation.errors import RegistryUnavailable, unwrapped
from seqlocation.store import OPERATION_TIMEOUT, RESYNC, Hint, Record

PREFIX = "seq:"
#: The keyspace notifications a watcher needs: K keyspace, g del, $ set, x expired.
NOTIFICATIONS = "Kg$x"

_OWNED_BY = "local v = redis.call('GET', KEYS[1]) if not v or string.sub(v, 1, #ARGV[1] + 1) ~= ARGV[1] .. ' ' then return 0 end "
_REPLACE = _OWNED_BY + "redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) return 1"
_REFRESH = _OWNED_BY + "return redis.call('PEXPIRE', KEYS[1], ARGV[2])"
_REMOVE = _OWNED_BY + "return redis.call('DEL', KEYS[1])"

_UNAVAILABLE = (coredis.exceptions.RedisError, ConnectionError, TimeoutError, OSError)


class RedisStore:
    """The Store of one Redis database (see store.Store for what each operation guarantees)."""

    def __init__(self, client: coredis.Redis, host: str, port: int, db: int):
        self.client = client
        self.db = db
        self.address = f"redis {host}:{port}/{db}"
        self._replace = client.register_script(_REPLACE)
        self._refresh = client.register_script(_REFRESH)
        self._remove = client.register_script(_REMOVE)

    @classmethod
    @contextlib.asynccontextmanager
    async def open(cls, host: str, port: int, db: int = 0) -> AsyncIterator[RedisStore]:
        """Connect (within OPERATION_TIMEOUT, else RegistryUnavailable naming the address)."""
        client = coredis.Redis(
            host, port, db, decode_responses=True,
            connect_timeout=OPERATION_TIMEOUT, stream_timeout=OPERATION_TIMEOUT,
            # One new connection when a pooled one was closed (Redis restarted); a timeout is final.
            retry_policy=ConstantRetryPolicy((coredis.exceptions.ConnectionError,), retries=1, delay=0.05),
        )
        store = cls(client, host, port, db)
        with store.translated_errors(), unwrapped():
            async with client:
                await client.ping()
                yield store

    @contextlib.contextmanager
    def translated_errors(self):
        """Redis and network errors (alone or grouped by coredis's task groups) become
        RegistryUnavailable naming the address."""
        try:
            yield
        except _UNAVAILABLE as exc:
            raise RegistryUnavailable(f"{self.address} is unavailable: {exc}") from exc
        except BaseExceptionGroup as group:
            found, _ = group.split(_UNAVAILABLE)
            if found is None:
                raise
            while isinstance(found, BaseExceptionGroup):
                found = found.exceptions[0]
            raise RegistryUnavailable(f"{self.address} is unavailable: {found}") from group

    # -- the expiring records

    async def create(self, key: str, token: str, value: str, ttl: float) -> Record | None:
        while True:
            with self.translated_errors():
                if await self.client.set(self._key(key), f"{token} {value}", px=_ms(ttl), condition=coredis.PureToken.NX):
                    return None
            if holder := await self.get(key):
                return holder
            # It expired between the two: try again.

    async def replace(self, key: str, expected: str, token: str, value: str, ttl: float) -> bool:
        with self.translated_errors():
            return bool(await self._replace(keys=[self._key(key)], args=[expected, f"{token} {value}", _ms(ttl)]))

    async def refresh(self, key: str, token: str, ttl: float) -> bool:
        with self.translated_errors():
            return bool(await self._refresh(keys=[self._key(key)], args=[token, _ms(ttl)]))

    async def remove(self, key: str, token: str) -> bool:
        with self.translated_errors():
            return bool(await self._remove(keys=[self._key(key)], args=[token]))

    async def get(self, key: str) -> Record | None:
        with self.translated_errors():
            return _record(await self.client.get(self._key(key)))

    async def scan(self, prefix: str) -> dict[str, Record]:
        with self.translated_errors():
            keys = [key async for key in self.client.scan_iter(match=self._key(_glob_escape(prefix)) + "*", count=1000)]
            values = await self.client.mget(keys) if keys else []
        return {key[len(PREFIX):]: record for key, value in zip(keys, values) if (record := _record(value))}

    @contextlib.asynccontextmanager
    async def hints(self, prefix: str) -> AsyncIterator[AsyncIterator[Hint]]:
        channels = f"__keyspace@{self.db}__:"
        with self.translated_errors():
            await self._ensure_notifications()
            async with self.client.pubsub(
                patterns=[channels + self._key(_glob_escape(prefix)) + "*"], retry_policy=NoRetryPolicy()
            ) as pubsub:

                async def hints():
                    yield Hint(RESYNC)
                    async for message in pubsub:
                        if message["type"] == "pmessage":
                            yield Hint(message["data"], message["channel"][len(channels) + len(PREFIX):])

                yield hints()

    async def _ensure_notifications(self) -> None:
        """Turn on the keyspace notifications watchers need (a Redis restarted from its
        own configuration may have lost them), or say how to."""
        setting = "notify-keyspace-events"
        flags = (await self.client.config_get([setting])).get(setting, "")
        implied = flags.replace("A", "g$lshzxetd")
        missing = "".join(flag for flag in NOTIFICATIONS if flag not in implied)
        if missing:
            try:
                await self.client.config_set({setting: flags + missing})
            except coredis.exceptions.ResponseError as exc:
                raise RegistryUnavailable(
                    f"{self.address} does not send the keyspace notifications watchers need and refused to "
                    f"turn them on ({exc}): set notify-keyspace-events {NOTIFICATIONS} in its configuration"
                ) from exc

    # -- plain data

    async def set_value(self, key: str, value: str) -> None:
        with self.translated_errors():
            await self.client.set(self._key(key), value)

    async def get_value(self, key: str) -> str | None:
        with self.translated_errors():
            return await self.client.get(self._key(key))

    async def append(self, key: str, value: str) -> None:
        with self.translated_errors():
            await self.client.rpush(self._key(key), [value])

    async def read_list(self, key: str) -> list[str]:
        with self.translated_errors():
            return list(await self.client.lrange(self._key(key), 0, -1))

    async def delete(self, key: str) -> None:
        with self.translated_errors():
            await self.client.delete([self._key(key)])

    @staticmethod
    def _key(key: str) -> str:
        return PREFIX + key


def _ms(seconds: float) -> int:
    return max(1, round(seconds * 1000))


def _record(raw: str | None) -> Record | None:
    if raw is None:
        return None
    token, _, value = raw.partition(" ")
    return Record(token, value)


def _glob_escape(text: str) -> str:
    return re.sub(r"([*?\[\]\\])", r"\\\1", text)
