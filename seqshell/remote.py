"""``seqshell --connect [HOST:]PORT|NAME``: the shell as a remote client of a seqserver.

Every command line goes to the server, whose shell executes it exactly as if it
had been typed there; the server's events arrive here and are shown live, each
before the reply of a command that came after it (the client library's
``on_events``), so a command file prints a run's last lines before ``wait``'s.
"""
from __future__ import annotations

import ssl
import time

import structlog
import trio

import protocol
import seqclient
from seqlocation import LocationError
from protocol import Outcome

log = structlog.get_logger("seqshell.remote")


class RemoteServer:
    """Commands and events through a seqserver (via :mod:`seqclient`)."""

    def __init__(self, target: str, token: str | None = None, ssl_context: ssl.SSLContext | None = None,
                 redis: str | None = None) -> None:
        self.target = target  # [HOST:]PORT, or a name the location service knows
        self.redis = redis
        self.token = token
        self.ssl_context = ssl_context
        self.on_events = None  # async callable(a burst of protocol.Event, in order), set by the owner
        self._connection: seqclient.Connection | None = None
        self._scope: trio.CancelScope | None = None

    @property
    def description(self) -> str:
        return f"seqserver at {self.target}{' (TLS)' if self.ssl_context else ''}"

    async def start(self, nursery: trio.Nursery) -> Outcome:
        """Connect and say hello; the welcome's snapshot becomes the first picture of the tree."""
        try:
            welcome = await nursery.start(self._stay_connected)
        except (OSError, seqclient.ConnectionClosed, LocationError) as exc:
            return Outcome.failure(f"cannot connect to {self.description}: {exc}")
        role = f" as {welcome['role']}" if welcome.get("role") else ""
        return Outcome(ok=True, output=f"connected to {self.description} ({welcome.get('server')}){role}")

    async def _stay_connected(self, task_status=trio.TASK_STATUS_IGNORED) -> None:
        """Hold the connection until it ends or the shell closes it; events are handled as they come."""
        with trio.CancelScope() as self._scope:
            async with seqclient.connect_to(self.target, redis=self.redis, client="seqshell", token=self.token,
                                            ssl_context=self.ssl_context, on_events=self._handle) as connection:
                self._connection = connection
                await self.on_events([protocol.Event(kind="tree", action="restored", ts=time.time(),
                                                     snapshot=connection.welcome.get("snapshot", {}))])
                task_status.started(connection.welcome)
                await connection.closed.wait()
                await self.on_events([protocol.notice(f"{self.description}: {connection.closed_reason}", "ERROR")])

    async def _handle(self, messages: list[protocol.Message]) -> None:
        """A burst of the server's events; a protocol error of the server shown as a notice."""
        await self.on_events([protocol.notice(f"{self.description}: {message.error}", "ERROR")
                              if message.type == "error" else message for message in messages])

    async def command(self, line: str) -> Outcome:
        if self._connection is None:
            return Outcome.failure(f"not connected to {self.description}")
        try:
            return Outcome.from_reply(await self._connection.command(line))
        except seqclient.ConnectionClosed as exc:
            return Outcome.failure(str(exc))

    async def close(self) -> None:
        """Say goodbye once every event already sent has arrived (a round trip flushes them)."""
        if self._connection is not None:
            with trio.move_on_after(5):
                await self.command("modules")
        if self._scope is not None:
            self._scope.cancel()
