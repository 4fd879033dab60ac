"""``seqshell --connect [HOST:]PORT``: the shell as a remote client of a seqserver.

Every command line goes to the server, whose shell executes it exactly as if it
had been typed there; the server's events arrive here and are shown live.
"""
from __future__ import annotations

import ssl
import time

import structlog
import trio

from seqserver import client
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

    def __init__(self, address: str, token: str | None = None, ssl_context: ssl.SSLContext | None = None) -> None:
        self.host, self.port = parse_address(address)
        self.token = token
        self.ssl_context = ssl_context
        self.on_event = None  # async callable(event dict), set by the owner before start
        self.after_events = lambda: None  # called once the events received so far have been handled
        self._connection = None
        self._scope: trio.CancelScope | None = None

    @property
    def description(self) -> str:
        return f"seqserver at {self.host}:{self.port}{' (TLS)' if self.ssl_context else ''}"

    async def start(self, nursery: trio.Nursery) -> Outcome:
        """Connect and say hello; the welcome's snapshot becomes the first picture of the tree."""
        try:
            welcome = await nursery.start(self._stay_connected)
        except (OSError, client.ConnectionClosed) as exc:
            return Outcome.failure(f"cannot connect to {self.description}: {exc}")
        return Outcome(ok=True, output=f"connected to {self.description} ({welcome.get('server')})")

    async def _stay_connected(self, task_status=trio.TASK_STATUS_IGNORED) -> None:
        """Hold the connection and pass its events on, until it ends or the shell closes it."""
        with trio.CancelScope() as self._scope:
            async with client.connect(self.host, self.port, client="seqshell", token=self.token,
                                      ssl_context=self.ssl_context) as connection:
                self._connection = connection
                await self.on_event({"kind": "tree", "action": "restored", "ts": time.time(),
                                     "snapshot": connection.welcome.get("snapshot", {})})
                task_status.started(connection.welcome)
                events = connection.events()
                async for message in events:
                    await self.on_event(self._as_event(message))
                    if not events.statistics().current_buffer_used:
                        self.after_events()
                reason = connection.closed_reason or "the connection was closed"
                await self.on_event({"kind": "notice", "level": "ERROR", "ts": time.time(),
                                     "message": f"{self.description}: {reason}"})

    def _as_event(self, message: dict) -> dict:
        """An event's body; a protocol error of the server as a notice, so that it is shown plainly."""
        if message["type"] == "error":
            return {"kind": "notice", "level": "ERROR", "ts": time.time(),
                    "message": f"{self.description}: {message['error']}"}
        return {k: v for k, v in message.items() if k != "type"}

    async def command(self, line: str) -> Outcome:
        if self._connection is None:
            return Outcome.failure(f"not connected to {self.description}")
        try:
            return Outcome.from_reply(await self._connection.command(line))
        except client.ConnectionClosed as exc:
            return Outcome.failure(str(exc))

    async def close(self) -> None:
        """Say goodbye once every event already sent has arrived (a round trip flushes them)."""
        if self._connection is not None:
            with trio.move_on_after(5):
                await self.command("modules")
        if self._scope is not None:
            self._scope.cancel()
