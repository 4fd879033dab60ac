"""``seqshell --connect [HOST:]PORT``: the shell as a remote client of a seqserver.

Every command line goes to the server, whose shell executes it exactly as if it
had been typed there; the server's events arrive here and are shown live.
"""
from __future__ import annotations

import contextlib
import os

import structlog
import trio

from seqshell.outcome import Outcome

log = structlog.get_logger("seqshell.remote")


def parse_address(address: str) -> tuple[str, int]:
    """``[HOST:]PORT`` → (host, port); the host defaults to the local machine."""
    host, _, port = address.rpartition(":")
    if not port.isdigit():
        raise ValueError(f"bad address {address!r}: expected [HOST:]PORT, e.g. localhost:8000")
    return host or "127.0.0.1", int(port)


class RemoteServer:
    """Commands and events through a seqserver (via ``seqserver.client``)."""

    def __init__(self, address: str, token: str | None = None) -> None:
        self.host, self.port = parse_address(address)
        self.token = token if token is not None else os.environ.get("SEQ_TOKEN")
        self.on_event = None  # async callable(event dict), set by the owner before start
        self._stack = contextlib.AsyncExitStack()
        self._connection = None
        self._events_done = trio.Event()

    @property
    def description(self) -> str:
        return f"seqserver at {self.host}:{self.port}"

    async def start(self, nursery: trio.Nursery) -> Outcome:
        """Connect and say hello; the welcome's snapshot becomes the first picture of the tree."""
        from seqserver import client  # the server's client library

        try:
            self._connection = await self._stack.enter_async_context(
                client.connect(self.host, self.port, client="seqshell", token=self.token)
            )
        except (OSError, ConnectionError) as exc:
            return Outcome.failure(f"cannot connect to {self.description}: {exc}")
        await self.on_event({"kind": "tree", "action": "restored", "ts": 0.0,
                             "snapshot": self._connection.welcome.get("snapshot", {})})
        nursery.start_soon(self._pump_events)
        return Outcome(ok=True, output=f"connected to {self.description} ({self._connection.welcome.get('server')})")

    async def _pump_events(self) -> None:
        try:
            async for event in self._connection.events():
                await self.on_event({k: v for k, v in event.items() if k != "type"})
            await self.on_event({"kind": "notice", "level": "ERROR", "ts": 0.0,
                                 "message": f"the connection to {self.description} was closed"})
        finally:
            self._events_done.set()

    async def command(self, line: str) -> Outcome:
        if self._connection is None:
            return Outcome.failure(f"not connected to {self.description}")
        return Outcome.from_reply(await self._connection.command(line))

    async def close(self) -> None:
        """Say goodbye once every event already sent has arrived (a round trip flushes them)."""
        if self._connection is not None:
            with trio.move_on_after(5):
                await self._connection.command("modules")
        await self._stack.aclose()
