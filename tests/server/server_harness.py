"""Run the real server (and through it the real shell and kernel) for tests and benchmarks."""
from __future__ import annotations

import contextlib
import os
import pathlib
import re
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import msgpack
import trio

import protocol
import seqclient as client
from seqclient import access

SERVER = [sys.executable, "-m", "seqserver"]
SCRIPTS = pathlib.Path(__file__).resolve().parent / "scripts"
START_TIMEOUT = 30
STOP_TIMEOUT = 15
NODE_LINE = re.compile(r"\((\d+)\) \S+ (\S+)$")


@dataclass
class ServerProcess:
    process: trio.Process
    host: str
    port: int

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def connect(self, name: str = "test", **kw):
        return client.connect(self.host, self.port, client=name, **kw)


@contextlib.asynccontextmanager
async def running_server(*args: str, cwd=None, env=None, stderr=None) -> AsyncIterator[ServerProcess]:
    """A ``seqserver`` on 127.0.0.1 and a free port (its log to ``stderr``, default the test's);
    stopped with SIGTERM at the end."""
    process = await trio.lowlevel.open_process(
        [*SERVER, "--address", "127.0.0.1:0", *args], stdout=subprocess.PIPE, cwd=cwd, env=env, stderr=stderr
    )
    try:
        with trio.fail_after(START_TIMEOUT):
            line = await _read_line(process.stdout)
        match = re.fullmatch(r"seqserver listening on (\S+):(\d+)", line)
        assert match, f"unexpected first line from the server: {line!r}"
        yield ServerProcess(process, match.group(1), int(match.group(2)))
    finally:
        with trio.move_on_after(STOP_TIMEOUT) as scope:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
            await process.wait()
        if scope.cancelled_caught:
            process.kill()
            await process.wait()
        await process.stdout.aclose()


def hello(name: str, **fields) -> bytes:
    """The encoded ``hello`` of a raw client, with the token this user's clients send to a server
    of this machine (``fields`` change or add fields)."""
    message = {"type": "hello", "version": protocol.VERSION, "client": name,
               "token": access.user_token(), **fields}
    return msgpack.packb(message)


async def _read_line(stream: trio.abc.ReceiveStream) -> str:
    data = b""
    while not data.endswith(b"\n"):
        chunk = await stream.receive_some(1)
        assert chunk, f"the server ended before saying where it listens (said {data!r})"
        data += chunk
    return data.decode().strip()


def parent_of(pid: int) -> int | None:
    """The parent of ``pid`` (from /proc), None once it is gone."""
    try:
        stat = pathlib.Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])


def children_of(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (from /proc)."""
    return [int(entry) for entry in os.listdir("/proc") if entry.isdigit() and parent_of(int(entry)) == pid]


def is_running(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    try:
        stat = pathlib.Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


async def ended(pid: int) -> None:
    """Return once ``pid`` has ended (Linux's pidfd: readable when the process terminates)."""
    try:
        exited = os.pidfd_open(pid)
    except ProcessLookupError:
        return
    try:
        await trio.lowlevel.wait_readable(exited)
    finally:
        os.close(exited)


def rss(pid: int) -> int:
    """The resident memory of ``pid`` in bytes (from /proc)."""
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def chain_pids(server: ServerProcess) -> tuple[int, int]:
    """(shell pid, kernel pid) of the server's running chain."""
    shells = children_of(server.process.pid)
    assert len(shells) == 1, f"expected one shell under the server, found {shells}"
    kernels = children_of(shells[0])
    assert len(kernels) == 1, f"expected one kernel under the shell, found {kernels}"
    return shells[0], kernels[0]


async def next_event(events, predicate: Callable[[dict], bool], timeout: float = 30) -> dict:
    """The first event (from ``conn.events()``) satisfying ``predicate``."""
    with trio.fail_after(timeout):
        async for event in events:
            if predicate(event):
                return event
    raise AssertionError("the connection closed before the expected event")


def states_in_nodes(output: str) -> dict[int, str]:
    """Serial number → displayed state, from the ``nodes`` command's text."""
    return {int(m.group(1)): m.group(2) for m in map(NODE_LINE.search, output.splitlines()) if m}


def states_in_snapshot(snapshot: dict) -> dict[int, str]:
    """Serial number → displayed state, from a protocol snapshot (with the root's begin and end when given)."""
    states, pending = {}, [*(snapshot.get("root") or {}).get("children", []), *snapshot["scripts"]]
    while pending:
        node = pending.pop()
        states[node["sn"]] = "|".join([node["state"], *(f"RT.{f}" for f in node.get("flags", []))])
        pending.extend(node.get("children") or [])
    return states


def is_run(status: str) -> Callable[[dict], bool]:
    return lambda event: event.get("kind") == "run" and event["status"] == status


def is_state(name: str, state: str) -> Callable[[dict], bool]:
    return lambda event: event.get("kind") == "state" and event["name"] == name and event["state"] == state


def is_notice(text: str) -> Callable[[dict], bool]:
    return lambda event: event.get("kind") == "notice" and text in event["message"]
