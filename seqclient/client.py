"""A Python client of seqserver: connect, send command lines, follow events.

Asynchronous (trio)::

    async with connect("127.0.0.1", 8000, client="my-tool") as conn:
        print(conn.snapshot.status)
        reply = await conn.command("load seq.samples.a")
        if not reply.ok:
            print(reply.error)
        async for event in conn.events():
            ...

From plain threads, :class:`SyncClient` runs the same connection in a trio
thread of its own and calls ``on_event`` there for each event.

The server runs one client's commands in order, one at a time: commands sent
concurrently from several tasks are answered in the order sent, so a ``wait``
holds back the commands sent after it on the same connection (but ``abort``,
which goes ahead of them).
"""
from __future__ import annotations

import contextlib
import math
import ssl
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import trio

import protocol
from seqclient import access
from seqclient.addresses import Target, resolve
from seqclient.link import Link, LinkClosed

DEFAULT_EVENT_BUFFER = 100_000
OnEvents = Callable[[list[protocol.Message]], Awaitable[None]]


class ConnectionClosed(Exception):
    """The server closed the connection (the text says why when the server said so)."""


class Connection:
    """An open connection to a server; made by :func:`connect`.

    ``snapshot`` is the loaded tree as of the last event received (a
    :class:`protocol.Snapshot`, started from the welcome's).
    """

    def __init__(self, link: Link, event_buffer: int, on_events: OnEvents | None = None) -> None:
        assert link.welcome is not None, "a link is greeted before it becomes a connection"
        self._link = link
        self._events_in, self._events_out = trio.open_memory_channel[dict[str, Any]](event_buffer)
        self._dropped = 0
        self._on_events = on_events
        self.closed = trio.Event()  # set when the connection has ended (closed_reason says how)
        self.welcome: dict = link.welcome.to_dict()
        self.snapshot = protocol.Snapshot(link.welcome.snapshot)

    @property
    def closed_reason(self) -> str | None:
        return self._link.closed_reason

    async def command(self, line: str) -> protocol.Reply:
        """Execute one command line on the server and return its reply (check ``.ok``).

        Raises ConnectionClosed when the connection ends before the reply comes.
        """
        try:
            return await self._link.command(line)
        except LinkClosed as exc:
            raise ConnectionClosed(str(exc)) from None

    def events(self) -> trio.MemoryReceiveChannel:
        """The events (and the server's protocol errors), as dicts, until the connection ends.

        An error that refuses a command is that command's reply instead; the
        others (a fatal one, before the server disconnects) come here.

        Events are buffered for the reader; if nobody reads and the buffer is
        full, events are dropped and the next one read is a ``notice`` saying how
        many were lost.
        """
        return self._events_out

    async def aclose(self) -> None:
        """Close the connection; pending commands raise ConnectionClosed, events() ends."""
        await self._link.aclose()

    async def _read(self) -> None:
        """Take what the server sends until the connection ends (see :meth:`Link.run`)."""
        try:
            await self._link.run(self._on_events or self._deliver, claims=self._refuses_a_command)
        finally:
            self._events_in.close()
            self.closed.set()

    def _refuses_a_command(self, error: protocol.Error) -> bool:
        """The server answers a client's messages in order, so a non-fatal error refuses the
        oldest command still waiting (e.g. one over the server's message size limit)."""
        return not error.fatal and self._link.refuse_oldest(error)

    async def _deliver(self, messages: list[protocol.Message]) -> None:
        for message in messages:
            if isinstance(message, protocol.Event):
                self.snapshot.apply(message)
            try:
                if self._dropped:
                    self._events_in.send_nowait(_lost_notice(self._dropped))
                    self._dropped = 0
                self._events_in.send_nowait(message.to_dict())
            except trio.WouldBlock:
                self._dropped += 1


def _lost_notice(count: int) -> dict:
    return {"type": "event", "kind": "notice", "ts": time.time(), "level": "WARNING",
            "message": f"{count} events were dropped: they were not read in time"}


@contextlib.asynccontextmanager
async def connect(host: str, port: int, *, client: str = "python", token: str | None = None,
                  event_buffer: int = DEFAULT_EVENT_BUFFER, ssl_context: ssl.SSLContext | None = None,
                  on_events: OnEvents | None = None, name: str | None = None) -> AsyncIterator[Connection]:
    """Connect to a server and shake hands; the connection closes when the block ends.

    ``name``: the sequence component or sequencer the server must hold (a server
    that does not, such as another one that took the port of a crashed one, refuses
    the client). :func:`connect_to` finds a server by name and passes it.

    Events are buffered for :meth:`Connection.events`, or, with ``on_events``, handed
    to it as they come, a burst at a time (a list of messages), each burst awaited
    before anything after it is taken: then a command's reply is returned only
    once the events the server sent before it have been handled (what a display
    that prints both needs).

    Without ``token``, a server on this machine is given the user's own token
    (``seqclient.access``), any other none. With ``ssl_context``, the connection
    is TLS and the server's certificate is checked against ``host``. Raises
    ConnectionClosed when the server refuses the client or the TLS handshake
    fails, OSError when it cannot be reached.
    """
    conn = await _connected(host, port, client, token, event_buffer, ssl_context, on_events, name)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(conn._read)
        try:
            yield conn
        finally:
            await conn.aclose()


async def _connected(host: str, port: int, client: str, token: str | None, event_buffer: int,
                     ssl_context: ssl.SSLContext | None = None, on_events: OnEvents | None = None,
                     name: str | None = None) -> Connection:
    stream: trio.abc.Stream = await trio.open_tcp_stream(host, port)
    if ssl_context is not None:
        secured = trio.SSLStream(stream, ssl_context, server_hostname=host, https_compatible=True)
        try:
            await secured.do_handshake()
        except trio.BrokenResourceError as exc:
            await trio.aclose_forcefully(secured)
            raise ConnectionClosed(f"TLS handshake failed: {exc.__cause__ or exc}") from None
        stream = secured
    link = Link(stream, stream, name="client", peer="server")
    hello: dict[str, Any] = {"version": protocol.VERSION, "client": client}
    if (token := access.client_token(token, host)) is not None:
        hello["token"] = token
    if name is not None:
        hello["name"] = name
    try:
        await link.greet(protocol.Hello(**hello))
    except LinkClosed as exc:
        await trio.aclose_forcefully(stream)
        raise ConnectionClosed(str(exc)) from None
    except BaseException:
        await trio.aclose_forcefully(stream)
        raise
    return Connection(link, event_buffer, on_events)


@contextlib.asynccontextmanager
async def connect_to(target: str | Target, *, redis: str | None = None, client: str = "python",
                     token: str | None = None, ssl_context: ssl.SSLContext | None = None,
                     **options: Any) -> AsyncIterator[Connection]:
    """:func:`connect` to ``[HOST:]PORT``, or to a sequence component or sequencer by name
    (``IRIS@IRIS_ifsonly``), found in the location service (``redis``: see :func:`seqclient.resolve`),
    or to a :class:`Target` resolved before (the server must still hold its name)."""
    found = target if isinstance(target, Target) else await resolve(target, redis)
    if found.tls and ssl_context is None:
        ssl_context = access.client_ssl_context()
    async with connect(found.host, found.port, client=client, token=token, ssl_context=ssl_context,
                       name=found.name, **options) as connection:
        yield connection


class SyncClient:
    """A connection usable from plain threads: trio runs it in a thread of its own.

    ``on_event(event: dict)`` is called in that thread for each event (keep it
    quick); ``on_close(reason: str)`` once when the connection ends.
    """

    # Set in the trio thread before the constructor returns.
    _conn: Connection
    _trio_token: trio.lowlevel.TrioToken
    _cancel_scope: trio.CancelScope

    def __init__(self, host: str, port: int, *, client: str = "python", token: str | None = None,
                 on_event: Callable[[dict], None] | None = None,
                 on_close: Callable[[str], None] | None = None, ssl_context: ssl.SSLContext | None = None) -> None:
        self._on_event = on_event or (lambda event: None)
        self._on_close = on_close or (lambda reason: None)
        self._started = threading.Event()
        self._failure: BaseException | None = None
        self._thread = threading.Thread(
            target=self._main, args=(host, port, client, token, ssl_context), name="seqclient", daemon=True
        )
        self._thread.start()
        self._started.wait()
        if self._failure is not None:
            raise self._failure

    @property
    def welcome(self) -> dict[str, Any]:
        return self._conn.welcome

    def command(self, line: str, timeout: float | None = None) -> protocol.Reply:
        """Execute one command line on the server; block until its reply (TimeoutError after ``timeout``)."""
        async def run() -> protocol.Reply:
            with trio.fail_after(math.inf if timeout is None else timeout):
                return await self._conn.command(line)

        try:
            return trio.from_thread.run(run, trio_token=self._trio_token)
        except trio.TooSlowError:
            raise TimeoutError(f"no reply to {line!r} within {timeout} s") from None
        except trio.RunFinishedError:
            raise ConnectionClosed(self._conn.closed_reason or "the connection was closed") from None

    def close(self) -> None:
        """Close the connection and wait for its thread to end."""
        if self._thread.is_alive():
            try:
                trio.from_thread.run_sync(self._cancel_scope.cancel, trio_token=self._trio_token)
            except trio.RunFinishedError:
                pass
            self._thread.join()

    def __enter__(self) -> SyncClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _main(self, host: str, port: int, client: str, token: str | None,
              ssl_context: ssl.SSLContext | None) -> None:
        try:
            trio.run(self._serve, host, port, client, token, ssl_context)
        except BaseException as exc:  # reported to the constructor's thread when it happens at start
            if not self._started.is_set():
                self._failure = exc
                self._started.set()
            else:
                raise

    async def _serve(self, host: str, port: int, client: str, token: str | None,
                     ssl_context: ssl.SSLContext | None) -> None:
        with trio.CancelScope() as self._cancel_scope:
            async with connect(host, port, client=client, token=token, ssl_context=ssl_context) as conn:
                self._conn = conn
                self._trio_token = trio.lowlevel.current_trio_token()
                self._started.set()
                async for event in conn.events():
                    self._on_event(event)
                self._on_close(conn.closed_reason or "the connection was closed")
