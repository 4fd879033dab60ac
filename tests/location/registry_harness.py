"""The two registries the location tests run against, and owners as real processes.

An owner is ``owner.py``, a process that registers a component (optionally running a
sequencer) and holds it until its standard input closes or it is killed, so that a
``kill -9`` is a real one.
"""
from __future__ import annotations

import contextlib
import json
import os
import pathlib
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass

import trio

from seqlocation import open_directory
from seqlocation.directory import Directory

HERE = pathlib.Path(__file__).resolve().parent
OWNER = [sys.executable, str(HERE / "owner.py")]
SEQTOOL = [sys.executable, "-m", "seqtool"]
TIMEOUT = 15


@dataclass
class Registry:
    """One registry for a test: ``env`` selects it in child processes, ``open()`` in this one."""

    kind: str  # "embedded" or "redis"
    url: str
    redis: object = None  # the RedisServer, for "redis"

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "SEQ_REGISTRY": self.url}

    def open(self) -> contextlib.AbstractAsyncContextManager[Directory]:
        return open_directory(environ={"SEQ_REGISTRY": self.url})


@dataclass
class Owner:
    process: trio.Process
    instance: str
    registered_at: float  # when it had registered (time.time() in the owner)
    stdout: trio.abc.ReceiveStream

    async def send(self, line: str) -> dict:
        """A command to the owner (``state running``, ``sequencer IRIS@IRIS_ifsonly``); its JSON answer."""
        await self.process.stdin.send_all(line.encode() + b"\n")
        return await read_json(self.stdout)

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)

    async def close(self) -> int:
        """A clean exit (its standard input closed); the exit status."""
        await self.process.stdin.aclose()
        with trio.fail_after(TIMEOUT):
            return await self.process.wait()


async def read_line(stream: trio.abc.ReceiveStream) -> str:
    data = b""
    while not data.endswith(b"\n"):
        chunk = await stream.receive_some(1)
        if not chunk:
            raise EOFError(f"the process ended (it said {data!r})")
        data += chunk
    return data.decode().rstrip("\n")


async def read_json(stream: trio.abc.ReceiveStream) -> dict:
    return json.loads(await read_line(stream))


@contextlib.asynccontextmanager
async def owner(registry: Registry, name: str, *args: str) -> AsyncIterator[Owner]:
    """A live owner of ``name`` (a component): started, registered, and ended at the end."""
    process = await trio.lowlevel.open_process(
        [*OWNER, name, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=registry.env
    )
    try:
        with trio.fail_after(TIMEOUT):
            said = await read_json(process.stdout)
        assert "instance" in said, said
        yield Owner(process, said["instance"], said["registered_at"], process.stdout)
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()


async def run_owner_expecting_failure(registry: Registry, name: str, *args: str) -> subprocess.CompletedProcess:
    """Run an owner that should not register; its completed process (stdout, stderr)."""
    with trio.fail_after(TIMEOUT):
        return await trio.run_process(
            [*OWNER, name, *args], stdin=subprocess.DEVNULL, capture_stdout=True, capture_stderr=True,
            check=False, env=registry.env,
        )
