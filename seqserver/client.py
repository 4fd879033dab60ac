"""A Python client of seqserver: connect, send command lines, follow events.

Asynchronous (trio)::

    async with connect("127.0.0.1", 8000, client="my-tool") as conn:
        print(conn.welcome["snapshot"]["status"])
        reply = await conn.command("load seq.samples.a")
        if not reply.ok:
            print(reply.error)
        async for event in conn.events():
            ...

From plain threads, :class:`SyncClient` runs the same connection in a trio
thread of its own and calls ``on_event`` there for each event.

The server runs one client's commands in order, one at a time: commands sent
concurrently from several tasks are answered in the order sent, so a ``wait``
holds back the commands sent after it on the same connection (use a second
connection to ``abort`` during a ``wait``).
"""
from __future__ import annotations

import contextlib
import itertools
import math
import ssl
import threading
import time
from collections.abc import AsyncIterator, Callable

import trio

import protocol
from seqserver import access

RECEIVE_SIZE = 65536
DEFAULT_EVENT_BUFFER = 100_000


class ConnectionClosed(Exception):
    """The server closed the connection (the text says why when the server said so)."""


class Connection:
    """An open connection to a server; made by :func:`connect`."""

    def __init__(self, stream: trio.abc.Stream, event_buffer: int) -> None:
        self._stream = stream
        self._decoder = protocol.Decoder()
        self._ids = itertools.count(1)
        self._pending: dict[int, tuple[trio.Event, list]] = {}
        self._write_lock = trio.StrictFIFOLock()
        self._events_in, self._events_out = trio.open_memory_channel(event_buffer)
        self._dropped = 0
        self._inbox: list[protocol.Message] = []
        self.welcome: dict = {}
        self.closed_reason: str | None = None

    async def command(self, line: str) -> protocol.Reply:
        """Execute one command line on the server and return its reply (check ``.ok``).

        Raises ConnectionClosed when the connection ends before the reply comes.
        """
        if self.closed_reason is not None:
            raise ConnectionClosed(self.closed_reason)
        request_id = next(self._ids)
        answered, slot = self._pending[request_id] = (trio.Event(), [])
        try:
            await self._send(protocol.Cmd(id=request_id, line=line))
        except (trio.BrokenResourceError, trio.ClosedResourceError) as exc:
            self._pending.pop(request_id, None)
            raise ConnectionClosed(self.closed_reason or f"connection lost: {exc}") from None
        await answered.wait()
        if not slot:
            raise ConnectionClosed(self.closed_reason)
        return slot[0]

    def events(self) -> AsyncIterator[dict]:
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
        await self._stream.aclose()

    async def _send(self, message: protocol.Message) -> None:
        async with self._write_lock:
            await self._stream.send_all(protocol.encode(message))

    async def _handshake(self, client: str, token: str | None) -> None:
        hello = {"version": protocol.VERSION, "client": client}
        if token is not None:
            hello["token"] = token
        await self._send(protocol.Hello(**hello))
        first = await self._next_message()
        if isinstance(first, protocol.Welcome):
            self.welcome = first.to_dict()
        elif isinstance(first, protocol.Error):
            raise ConnectionClosed(f"refused by the server: {first.error}")
        elif first is None:
            raise ConnectionClosed("the server closed the connection during the handshake")
        else:
            raise ConnectionClosed(f"the server answered hello with {first.type}, not welcome")

    async def _next_message(self) -> protocol.Message | None:
        while not self._inbox:
            data = await self._stream.receive_some(RECEIVE_SIZE)
            if not data:
                return None
            self._inbox.extend(self._decoder.feed(data))
        return self._inbox.pop(0)

    async def _read(self) -> None:
        """Route every message until the connection ends: replies to their commands, the rest to events()."""
        try:
            while (message := await self._next_message()) is not None:
                if isinstance(message, protocol.Reply):
                    waiter = self._pending.pop(message.id, None)
                    if waiter is not None:
                        waiter[1].append(message)
                        waiter[0].set()
                    continue
                if isinstance(message, protocol.Error):
                    if message.fatal:
                        self.closed_reason = f"closed by the server: {message.error}"
                    elif self._pending:
                        self._refuse_oldest(message)
                        continue
                self._deliver(message.to_dict())
            self.closed_reason = self.closed_reason or "the server closed the connection"
        except trio.ClosedResourceError:
            self.closed_reason = self.closed_reason or "the connection was closed"
        except trio.BrokenResourceError as exc:
            self.closed_reason = self.closed_reason or f"connection lost: {exc}"
        except protocol.ProtocolError as exc:
            self.closed_reason = f"the server sent bad data: {exc}"
        finally:
            self._close()

    def _refuse_oldest(self, error: protocol.Error) -> None:
        """The server answers a client's messages in order, so a non-fatal error refuses the
        oldest command still waiting (e.g. one over the server's message size limit)."""
        request_id = next(iter(self._pending))
        answered, slot = self._pending.pop(request_id)
        slot.append(protocol.Reply(id=request_id, ok=False, output="", error=f"refused by the server: {error.error}"))
        answered.set()

    def _deliver(self, event: dict) -> None:
        try:
            if self._dropped:
                self._events_in.send_nowait(_lost_notice(self._dropped))
                self._dropped = 0
            self._events_in.send_nowait(event)
        except trio.WouldBlock:
            self._dropped += 1

    def _close(self) -> None:
        if self.closed_reason is None:
            self.closed_reason = "the connection was closed"
        for answered, _ in self._pending.values():
            answered.set()
        self._pending.clear()
        self._events_in.close()


def _lost_notice(count: int) -> dict:
    return {"type": "event", "kind": "notice", "ts": time.time(), "level": "WARNING",
            "message": f"{count} events were dropped: they were not read in time"}


@contextlib.asynccontextmanager
async def connect(host: str, port: int, *, client: str = "python", token: str | None = None,
                  event_buffer: int = DEFAULT_EVENT_BUFFER,
                  ssl_context: ssl.SSLContext | None = None) -> AsyncIterator[Connection]:
    """Connect to a server and shake hands; the connection closes when the block ends.

    Without ``token``, a server on this machine is given the user's own token
    (``seqserver.access``), any other none. With ``ssl_context``, the connection
    is TLS and the server's certificate is checked against ``host``. Raises ConnectionClosed when the server refuses the
    client or the TLS handshake fails, OSError when it cannot be reached.
    """
    conn = await _connected(host, port, client, token, event_buffer, ssl_context)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(conn._read)
        try:
            yield conn
        finally:
            await conn.aclose()


async def _connected(host, port, client, token, event_buffer, ssl_context=None) -> Connection:
    stream = await trio.open_tcp_stream(host, port)
    if ssl_context is not None:
        stream = trio.SSLStream(stream, ssl_context, server_hostname=host, https_compatible=True)
        try:
            await stream.do_handshake()
        except trio.BrokenResourceError as exc:
            await trio.aclose_forcefully(stream)
            raise ConnectionClosed(f"TLS handshake failed: {exc.__cause__ or exc}") from None
    conn = Connection(stream, event_buffer)
    try:
        await conn._handshake(client, access.client_token(token, host))
    except BaseException:
        await trio.aclose_forcefully(stream)
        raise
    return conn


class SyncClient:
    """A connection usable from plain threads: trio runs it in a thread of its own.

    ``on_event(event: dict)`` is called in that thread for each event (keep it
    quick); ``on_close(reason: str)`` once when the connection ends.
    """

    def __init__(self, host: str, port: int, *, client: str = "python", token: str | None = None,
                 on_event: Callable[[dict], None] | None = None,
                 on_close: Callable[[str], None] | None = None, ssl_context: ssl.SSLContext | None = None) -> None:
        self._on_event = on_event or (lambda event: None)
        self._on_close = on_close or (lambda reason: None)
        self._started = threading.Event()
        self._failure: BaseException | None = None
        self._conn: Connection | None = None
        self._token: trio.lowlevel.TrioToken | None = None
        self._cancel_scope: trio.CancelScope | None = None
        self._thread = threading.Thread(
            target=self._main, args=(host, port, client, token, ssl_context), name="seqserver-client", daemon=True
        )
        self._thread.start()
        self._started.wait()
        if self._failure is not None:
            raise self._failure

    @property
    def welcome(self) -> dict:
        return self._conn.welcome

    def command(self, line: str, timeout: float | None = None) -> protocol.Reply:
        """Execute one command line on the server; block until its reply (TimeoutError after ``timeout``)."""
        async def run():
            with trio.fail_after(math.inf if timeout is None else timeout):
                return await self._conn.command(line)

        try:
            return trio.from_thread.run(run, trio_token=self._token)
        except trio.TooSlowError:
            raise TimeoutError(f"no reply to {line!r} within {timeout} s") from None
        except trio.RunFinishedError:
            raise ConnectionClosed(self._conn.closed_reason or "the connection was closed") from None

    def close(self) -> None:
        """Close the connection and wait for its thread to end."""
        if self._thread.is_alive():
            try:
                trio.from_thread.run_sync(self._cancel_scope.cancel, trio_token=self._token)
            except trio.RunFinishedError:
                pass
            self._thread.join()

    def __enter__(self) -> SyncClient:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def _main(self, host, port, client, token, ssl_context) -> None:
        try:
            trio.run(self._serve, host, port, client, token, ssl_context)
        except BaseException as exc:  # reported to the constructor's thread when it happens at start
            if not self._started.is_set():
                self._failure = exc
                self._started.set()
            else:
                raise

    async def _serve(self, host, port, client, token, ssl_context) -> None:
        with trio.CancelScope() as self._cancel_scope:
            async with connect(host, port, client=client, token=token, ssl_context=ssl_context) as conn:
                self._conn = conn
                self._token = trio.lowlevel.current_trio_token()
                self._started.set()
                async for event in conn.events():
                    self._on_event(event)
                self._on_close(conn.closed_reason)
