"""The connecting side of a protocol connection, over trio streams.

The shell's link to its kernel, the server's link to its shell and the client
library's connection to a server are all a :class:`Link`: it says hello, sends
commands with ids and matches their replies, and hands everything else on.
One task (:meth:`Link.run`) takes what arrives in order: events (and protocol
errors) are handed on, a burst at a time, and handled before anything after
them is taken; a reply wakes the command that waits for it. So a command's
reply is never seen before the events sent ahead of it.
"""
from __future__ import annotations

import signal
from collections.abc import Awaitable, Callable

import trio

import protocol

RECEIVE_SIZE = 64 * 1024
"""Bytes asked of a stream at a time by every reader of the protocol."""


async def receive_in_time(connection: protocol.Connection, feed: Callable[[], Awaitable[object]]) -> None:
    """Await ``feed()``, which gives ``connection`` the peer's next bytes, no longer than the
    connection allows in the middle of a message; past that, tell it (it reports the message dropped)."""
    with trio.move_on_after(connection.receive_timeout()) as waiting:
        await feed()
    if waiting.cancelled_caught:
        connection.receive_timed_out()


async def receive_from(stream: trio.abc.ReceiveStream, connection: protocol.Connection) -> None:
    """Give ``connection`` the next bytes of ``stream`` (``b""`` at its end), in time (:func:`receive_in_time`)."""
    async def feed() -> None:
        connection.receive_data(bytes(await stream.receive_some(RECEIVE_SIZE)))

    await receive_in_time(connection, feed)


def describe_exit(status: int | None) -> str:
    """How a peer process ended (its exit status, as trio and subprocess give it), in words:
    ``exit status 3``, ``killed by SIGSEGV``."""
    if status is None:
        return "no exit status"
    if status < 0:
        try:
            return f"killed by {signal.Signals(-status).name}"
        except ValueError:
            return f"killed by signal {-status}"
    return f"exit status {status}"


class LinkClosed(Exception):
    """The connection ended (the text says how) before the command was answered.

    ``sent`` says whether the command had reached the peer (it may have been carried out).
    """

    def __init__(self, reason: str | None, *, sent: bool = True) -> None:
        super().__init__(reason)
        self.sent = sent


class LinkRefused(LinkClosed):
    """The peer answered ``hello`` with an error (the text says why)."""


class _Waiter:
    __slots__ = ("line", "answered", "reply")

    def __init__(self, line: str) -> None:
        self.line = line
        self.answered = trio.Event()
        self.reply: protocol.Reply | None = None


class Link:
    """One protocol connection from the side that connects (no task of its own until :meth:`run`)."""

    def __init__(self, send_stream: trio.abc.SendStream, receive_stream: trio.abc.ReceiveStream, *,
                 name: str, peer: str, max_message_size: int = protocol.MAX_MESSAGE_SIZE, trusted: bool = False,
                 on_reply: Callable[[str, protocol.Reply], None] = lambda line, reply: None) -> None:
        # trusted: the peer is a child process of seq's own, which made what it sends to the schema (protocol.Decoder)
        self.connection = protocol.Connection(protocol.CLIENT, name=name, max_message_size=max_message_size,
                                              trusted=trusted)
        self.peer = peer  # what the other side is, as messages name it: "kernel", "shell", "server"
        self.welcome: protocol.Welcome | None = None
        self.closed_reason: str | None = None  # set once the connection has ended
        self._send_stream = send_stream
        self._receive_stream = receive_stream
        self._requests: protocol.Requests[_Waiter] = protocol.Requests()
        self._send_lock = trio.StrictFIFOLock()
        self._on_reply = on_reply  # sees every command answered, even one whose caller gave up waiting
        self._early: list[protocol.Message] = []  # what arrived with the welcome

    # -- the handshake ---------------------------------------------------------------------

    async def greet(self, hello: protocol.Hello) -> protocol.Welcome:
        """Send ``hello`` and wait for the welcome; LinkRefused (with the peer's reason) when the peer
        answers with an error, LinkClosed when it goes away."""
        await self.send(hello)
        messages = await self._receive()
        if messages is None:
            self._close(self.closed_reason or f"the {self.peer} closed the connection during the handshake")
            raise LinkClosed(self.closed_reason)
        first, *self._early = messages
        if not isinstance(first, protocol.Welcome):  # the core made anything else a fatal error
            self.closed_reason = f"refused by the {self.peer}: {first.error}"
            self._close(self.closed_reason)
            raise LinkRefused(self.closed_reason)
        self.welcome = first
        return self.welcome

    # -- sending -----------------------------------------------------------------------------

    async def command(self, line: str) -> protocol.Reply:
        """Send one command line and return its reply; LinkClosed when the connection ends first.

        Commands are sent in the order this is called. A caller cancelled after
        sending stops waiting; the reply, when it comes, still goes to ``on_reply``.
        """
        if self.closed_reason is not None:
            raise LinkClosed(self.closed_reason, sent=False)
        waiter = _Waiter(line)
        cmd = self._requests.command(line, waiter)
        try:
            await self.send(cmd)
        except LinkClosed as exc:
            self._requests.forget(cmd.id)
            raise LinkClosed(str(exc), sent=False) from None
        await waiter.answered.wait()
        if waiter.reply is None:
            raise LinkClosed(self.closed_reason)
        return waiter.reply

    async def send(self, message: protocol.Message) -> None:
        await self.send_raw(self.connection.send(message))

    async def send_raw(self, data: bytes) -> None:
        """Send bytes as they are (tests send what no client should); LinkClosed once the peer has gone."""
        async with self._send_lock:
            try:
                await self._send_stream.send_all(data)
            except (trio.BrokenResourceError, trio.ClosedResourceError) as exc:
                raise LinkClosed(self.closed_reason or f"connection lost: {exc}") from None

    # -- receiving ---------------------------------------------------------------------------

    async def run(self, on_events: Callable[[list[protocol.Message]], Awaitable[None]],
                  claims: Callable[[protocol.Error], bool] = lambda error: False) -> None:
        """Take what arrives until the connection ends: events (and protocol errors) go to
        ``on_events``, a burst of consecutive ones at a time, each burst awaited before
        anything after it is taken; each reply goes to its command.

        ``claims`` may take a protocol error as the answer to a command instead (the
        client library: the oldest, see :meth:`refuse_oldest`). Commands still waiting
        when the connection ends raise LinkClosed.
        """
        try:
            batch: list[protocol.Message] | None = self._early
            self._early = []
            while batch is not None:
                events: list[protocol.Message] = []
                for message in batch:
                    if type(message) is not protocol.Event and (  # (an event, the flood, is known at one look)
                            isinstance(message, protocol.Reply) or (isinstance(message, protocol.Error) and claims(message))):
                        if events:
                            await on_events(events)
                            events = []
                        if isinstance(message, protocol.Reply):
                            self._answer(message)
                    else:
                        events.append(message)
                if events:
                    await on_events(events)
                batch = await self._receive()
            self._close(self.closed_reason or f"the {self.peer} closed the connection")
        finally:
            self._close("the connection was closed")

    def refuse_oldest(self, error: protocol.Error) -> bool:
        """Answer the oldest waiting command with ``error`` (a peer that answers in order refused it)."""
        oldest = self._requests.oldest()
        if oldest is None:
            return False
        request_id, waiter = oldest
        waiter.reply = protocol.Reply(id=request_id, ok=False, output="", error=f"refused by the {self.peer}: {error.error}")
        waiter.answered.set()
        return True

    def _answer(self, reply: protocol.Reply) -> None:
        waiter = self._requests.resolve(reply)
        if waiter is not None:
            waiter.reply = reply
            waiter.answered.set()
            self._on_reply(waiter.line, reply)

    async def _receive(self) -> list[protocol.Message] | None:
        """The messages the next bytes complete (input refused as Error messages); None at the end."""
        while True:
            try:
                data = await self._receive_stream.receive_some(RECEIVE_SIZE)
            except (trio.BrokenResourceError, trio.ClosedResourceError) as exc:
                self.closed_reason = self.closed_reason or f"connection lost: {exc}"
                data = b""
            self.connection.receive_data(bytes(data))
            messages = [event if type(event) is protocol.Event else self._reported(event)
                        for event in self.connection.next_events()]
            if messages:
                return messages
            if self.connection.next_event() is protocol.ENDED:
                return None

    def _reported(self, event: protocol.Message | protocol.Refused) -> protocol.Message:
        """A message taken from the connection as it goes on (what it refused, as its error)."""
        if isinstance(event, protocol.Refused):
            event = event.answer
        if isinstance(event, protocol.Error) and event.fatal:
            self.closed_reason = f"closed by the {self.peer}: {event.error}"
        return event

    def _close(self, reason: str) -> None:
        if self.closed_reason is None:
            self.closed_reason = reason
        for _, waiter in self._requests.drain():
            waiter.answered.set()

    async def aclose(self) -> None:
        """Close both streams (the peer sees the end of its input)."""
        await self._send_stream.aclose()
        if self._receive_stream is not self._send_stream:
            await self._receive_stream.aclose()
