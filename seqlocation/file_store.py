"""The embedded registry: a folder of small files, for the processes of one user on one machine.

Each record is one JSON file (``entry/IRIS@IRIS_ifsonly``) holding its owner's token,
its time to live and its value; it expires ``ttl`` seconds after the file was last
modified, so a refresh is a ``utime`` and readers only ``stat`` files that did not
change. Files are written whole and renamed into place, so a reader never sees half
of one; every change that depends on what is there (create if absent, compare the
owner's token) holds an exclusive ``flock`` on the folder's lock file for the few
microseconds it takes, which the kernel releases when its holder dies, even by
``kill -9``. File operations run in a worker thread, off the trio scheduler.

There is no notification across processes without a daemon, so watchers poll: a
``stat`` of each file every POLL_PERIOD (0.2 s), cheap for hundreds of entries and
short beside the 1.5 s expiry, so a ``kill -9`` is seen within 2 s.
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import pathlib
import tempfile
import time
import urllib.parse
from collections.abc import AsyncIterator, Callable

import trio

from seqlocation.errors import RegistryUnavailable
from seqlocation.store import OPERATION_TIMEOUT, RESYNC, Hint, Record

POLL_PERIOD = 0.2
#: Expired files are left for watchers to notice, and swept this long after they expired.
SWEEP_AFTER = 60.0
_SAFE = "@._-"


def default_folder() -> pathlib.Path:
    """Where the embedded registry of this user lives: ``$XDG_STATE_HOME/seq/registry``
    (``~/.local/state/seq/registry``), the same for every process of the user whatever
    its session (a systemd service, a terminal, cron)."""
    state = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return pathlib.Path(state) / "seq" / "registry"


class FileStore:
    """The Store of a registry folder (see store.Store for what each operation guarantees)."""

    def __init__(self, folder: pathlib.Path):
        self.folder = pathlib.Path(folder)
        self.address = f"the registry folder {self.folder}"
        self._cache: dict[pathlib.Path, tuple[int, int, tuple[float, Record]]] = {}
        try:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            (self.folder / ".lock").touch()
        except OSError as exc:
            raise RegistryUnavailable(f"cannot use {self.address}: {exc}") from exc

    # -- the expiring records

    async def create(self, key: str, token: str, value: str, ttl: float) -> Record | None:
        def create():
            with self._locked():
                holder = self._read_live(self._path(key))
                if holder is None:
                    self._write(key, token, value, ttl)
                return holder

        return await self._run(create)

    async def replace(self, key: str, expected: str, token: str, value: str, ttl: float) -> bool:
        def replace():
            with self._locked():
                if not self._owned_by(key, expected):
                    return False
                self._write(key, token, value, ttl)
                return True

        return await self._run(replace)

    async def refresh(self, key: str, token: str, ttl: float) -> bool:
        def refresh():
            with self._locked():
                if not self._owned_by(key, token):
                    return False
                os.utime(self._path(key))
                return True

        return await self._run(refresh)

    async def remove(self, key: str, token: str) -> bool:
        def remove():
            with self._locked():
                if not self._owned_by(key, token):
                    return False
                self._path(key).unlink()
                return True

        return await self._run(remove)

    async def get(self, key: str) -> Record | None:
        return await self._run(lambda: self._read_live(self._path(key)))

    async def scan(self, prefix: str) -> dict[str, Record]:
        namespace, _, start = prefix.partition("/")

        def scan():
            found = {}
            with contextlib.suppress(FileNotFoundError), os.scandir(self.folder / namespace) as files:
                for file in files:
                    name = urllib.parse.unquote(file.name)
                    if file.name.startswith(".") or not name.startswith(start):
                        continue
                    if record := self._read_live(pathlib.Path(file.path), sweep=True):
                        found[f"{namespace}/{name}"] = record
            return found

        return await self._run(scan)

    @contextlib.asynccontextmanager
    async def hints(self, prefix: str) -> AsyncIterator[AsyncIterator[Hint]]:
        async def ticks():
            while True:
                yield Hint(RESYNC)
                await trio.sleep(POLL_PERIOD)

        yield ticks()

    # -- plain data

    async def set_value(self, key: str, value: str) -> None:
        def set_value():
            with self._locked():
                self._replace_file(self._path(key), value)

        await self._run(set_value)

    async def get_value(self, key: str) -> str | None:
        def get_value():
            try:
                return self._path(key).read_text()
            except FileNotFoundError:
                return None

        return await self._run(get_value)

    async def append(self, key: str, value: str) -> None:
        def append():
            path = self._path(key)
            with self._locked(), open(path, "a") as file:
                file.write(json.dumps(value) + "\n")

        await self._run(append)

    async def read_list(self, key: str) -> list[str]:
        def read_list():
            try:
                lines = self._path(key).read_text().splitlines()
            except FileNotFoundError:
                return []
            return [json.loads(line) for line in lines]

        return await self._run(read_list)

    async def delete(self, key: str) -> None:
        def delete():
            with self._locked():
                self._path(key).unlink(missing_ok=True)

        await self._run(delete)

    # -- the files

    async def _run(self, operation: Callable):
        try:
            return await trio.to_thread.run_sync(operation)
        except OSError as exc:
            raise RegistryUnavailable(f"cannot use {self.address}: {exc}") from exc

    def _path(self, key: str) -> pathlib.Path:
        namespace, _, name = key.partition("/")
        folder = self.folder / namespace
        folder.mkdir(exist_ok=True, mode=0o700)
        return folder / urllib.parse.quote(name, safe=_SAFE)

    @contextlib.contextmanager
    def _locked(self):
        """Hold the folder's lock: an own open file description per call, so threads of one
        process exclude each other as processes do."""
        with open(self.folder / ".lock", "rb") as lock:
            deadline = time.monotonic() + OPERATION_TIMEOUT
            while True:
                try:
                    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise RegistryUnavailable(
                            f"{self.address} stayed locked for {OPERATION_TIMEOUT} s by another process"
                        ) from None
                    time.sleep(0.001)
            yield

    def _owned_by(self, key: str, token: str) -> bool:
        holder = self._read_live(self._path(key))
        return holder is not None and holder.token == token

    def _write(self, key: str, token: str, value: str, ttl: float) -> None:
        self._replace_file(self._path(key), json.dumps({"token": token, "ttl": ttl, "value": value}))

    @staticmethod
    def _replace_file(path: pathlib.Path, text: str) -> None:
        with tempfile.NamedTemporaryFile("w", dir=path.parent, prefix=".new-", delete=False) as file:
            file.write(text)
        os.replace(file.name, path)

    def _read_live(self, path: pathlib.Path, sweep: bool = False) -> Record | None:
        """The record of ``path`` unless it has expired; its content is read again only
        when the file was replaced (a refresh changes the time, not the file). With
        ``sweep`` (never while the lock is held), a file long expired is deleted."""
        try:
            status = path.stat()
            cached = self._cache.get(path)
            if cached and cached[:2] == (status.st_ino, status.st_size):
                ttl, record = cached[2]
            else:
                stored = json.loads(path.read_text())
                ttl, record = stored["ttl"], Record(stored["token"], stored["value"])
                self._cache[path] = (status.st_ino, status.st_size, (ttl, record))
        except (FileNotFoundError, ValueError, KeyError):
            # Gone, or replaced between stat and read (the next look sees the new one).
            self._cache.pop(path, None)
            return None
        expires = status.st_mtime + ttl
        if expires <= time.time():
            if sweep and expires + SWEEP_AFTER <= time.time():
                self._sweep(path, record.token)
            return None
        return Record(record.token, record.value, expires)

    def _sweep(self, path: pathlib.Path, token: str) -> None:
        with self._locked():
            with contextlib.suppress(FileNotFoundError):
                stored = json.loads(path.read_text())
                if stored["token"] == token and path.stat().st_mtime + stored["ttl"] + SWEEP_AFTER <= time.time():
                    path.unlink()
