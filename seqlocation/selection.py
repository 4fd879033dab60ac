"""Which registry a process uses: ``--redis [HOST:]PORT``, else ``SEQ_REGISTRY``, else the embedded one.

``SEQ_REGISTRY`` is ``redis://HOST:PORT/DB`` for Redis, or ``file:FOLDER`` for the
embedded registry in another folder than the default (tests, or several independent
set-ups for one user).
"""
from __future__ import annotations

import argparse
import contextlib
import os
import pathlib
import urllib.parse
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass

from seqlocation.errors import LocationError

ENVIRONMENT = "SEQ_REGISTRY"
DEFAULT_REDIS_HOST = "127.0.0.1"
DEFAULT_REDIS_PORT = 6379


@dataclass(frozen=True)
class RegistrySpec:
    """Where the registry is: Redis (``host``, ``port``, ``db``) or a ``folder`` (embedded)."""

    host: str | None = None
    port: int | None = None
    db: int = 0
    folder: pathlib.Path | None = None

    @property
    def is_redis(self) -> bool:
        return self.host is not None

    def __str__(self) -> str:
        if self.is_redis:
            return f"redis://{self.host}:{self.port}/{self.db}"
        return f"file:{self.folder}"


def add_registry_argument(parser: argparse.ArgumentParser, default: object = None) -> None:
    """The ``--redis`` option every server and client command takes."""
    parser.add_argument(
        "--redis",
        default=default,
        metavar="[HOST:]PORT",
        help=f"the location service in this Redis (default host {DEFAULT_REDIS_HOST}); without it, "
        f"${ENVIRONMENT} (redis://HOST:PORT/DB), else the embedded registry of this machine",
    )


def registry_spec(redis: str | None = None, environ: Mapping[str, str] = os.environ) -> RegistrySpec:
    """The registry chosen by ``--redis`` (given as ``redis``), the environment, or the default."""
    if redis:
        host, _, port = redis.rpartition(":")
        return RegistrySpec(host=host or DEFAULT_REDIS_HOST, port=_port(port, f"--redis {redis}"))
    if url := environ.get(ENVIRONMENT):
        return _from_url(url)
    from seqlocation.file_store import default_folder

    return RegistrySpec(folder=default_folder())


def _from_url(url: str) -> RegistrySpec:
    where = f"{ENVIRONMENT}={url}"
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme == "file":
        folder = parsed.path if not parsed.netloc else parsed.netloc + parsed.path
        if not folder:
            raise LocationError(f"{where}: no folder (file:/path/to/folder)")
        return RegistrySpec(folder=pathlib.Path(folder))
    if parsed.scheme != "redis":
        raise LocationError(f"{where}: expected redis://HOST:PORT/DB or file:FOLDER")
    db = parsed.path.strip("/") or "0"
    if not db.isdigit():
        raise LocationError(f"{where}: the database {db!r} is not a number")
    try:
        port = parsed.port or DEFAULT_REDIS_PORT
    except ValueError as exc:
        raise LocationError(f"{where}: {exc}") from None
    return RegistrySpec(host=parsed.hostname or DEFAULT_REDIS_HOST, port=port, db=int(db))


def _port(text: str, where: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise LocationError(f"{where}: {text!r} is not a port number")
    return int(text)


@contextlib.asynccontextmanager
async def open_store(spec: RegistrySpec) -> AsyncIterator:
    """The Store of ``spec``, open for the duration (Redis is imported only when used)."""
    if spec.is_redis:
        from seqlocation.redis_store import RedisStore

        async with RedisStore.open(spec.host, spec.port, spec.db) as store:
            yield store
    else:
        from seqlocation.file_store import FileStore

        yield FileStore(spec.folder)
