"""seqserver: one shell and kernel, any number of clients, one port.

Every connection's first bytes decide what it is: a msgpack map starts a
protocol client over TCP; an ASCII letter is HTTP, handed to
:mod:`seqserver.web` (the GUI's page and its websocket). Both kinds of client
are served alike through a :class:`Transport`.

For each client the server:

- answers ``hello`` with ``welcome`` and a snapshot taken at the point of the
  event stream where the client joins, so it sees what everybody sees (the
  dialogs still waiting for an answer included);
- relays its command lines to the shell in order, one at a time (the next one
  after the previous reply; an ``abort`` without waiting for that reply), and
  sends each reply only to it, with its own request id (the server renumbers
  requests towards the shell);
- queues every event for it in its own queue, bounded in bytes. A client that
  reads too slowly never slows the others or the kernel: once ``queue_limit``
  bytes wait for it, its ``state``, ``log`` and ``output`` events are dropped
  until it has caught up with its queue; it then gets a ``notice`` saying how
  many events it missed and a ``tree`` event (action ``restored``) with a fresh
  snapshot, and carries on from there. A client that stops reading for good is
  disconnected (see :mod:`seqserver.outbox`).

Each client has its own ``protocol.Connection``, the core every process
speaks through: it takes the first message (a ``hello`` of a few kilobytes at
most, since nobody is trusted yet) and answers bad input (bytes that are not
msgpack, wrong fields, an unknown message, an oversized one) with an ``error``;
after ``protocol.MAX_BAD_IN_A_ROW`` in a row the client is told and
disconnected. No other client notices.
"""
from __future__ import annotations

import os
import resource
import signal
import socket
import ssl
import time
from collections.abc import AsyncIterator
from typing import Protocol

import structlog
import trio

import protocol
import seq
from seqclient.addresses import format_address, parse_address
from seqclient.link import RECEIVE_SIZE, receive_in_time
from seqclient.outbox import Parcel, wire_bytes
from seqclient import access
from seqserver import reaper
from seqserver.audit import AuditLog, AuditOptions
from seqclient.config import Config, default_config
from seqlocation import Entry
from seqserver.chain import ShellChain
from seqserver.component import Component, ComponentOptions, serve_component
from seqserver.directory_feed import LOCATE, DirectoryFeed
from seqserver.doorway import Doorway, current_ticket
from seqserver.keys import Keys, Principal
from seqserver.outbox import Burst, Client
from seqserver.webguard import WebGuard

log = structlog.get_logger("seqserver")

MSGPACK_MAP_FIRST_BYTES = frozenset([*range(0x80, 0x90), 0xDE, 0xDF])
TLS_HANDSHAKE_FIRST_BYTE = 0x16  # a TLS record of the handshake: a client's hello
TLS_ONLY = "this server speaks TLS only: connect with TLS (seqshell --connect ADDRESS --tls, or --cacert CA_FILE)"
SEND_BUFFER = 256 * 1024  # kernel send buffer per TCP client: bounds memory held for slow readers
FIRST_BYTES_TIMEOUT = 10.0  # seconds a new connection has to say something
TURN_AWAY_TIMEOUT = 1.0  # seconds a connection turned away at the door may take to say what it speaks
HANDSHAKE_TIMEOUT = 10.0  # seconds a protocol client has to send a complete hello
FLUSH_TIMEOUT = 5.0  # seconds to deliver what is queued for a client that is leaving
COMMANDS_READ_AHEAD = 64  # a client's commands read while one is in progress (then reading waits)
DEFAULT_QUEUE_LIMIT = 4 * 1024 * 1024  # bytes
PROTECTED_MODE = (
    "this server accepts clients from its own machine only (protected mode); to let remote clients in, "
    "start it with --token-file FILE (or --generate-token) and give them the token "
    "(seqshell --connect ADDRESS --token-file FILE, or SEQ_TOKEN)")
WRONG_TOKEN = (
    "wrong or missing token: clients of the user running the server find it in that user's state directory "
    "(~/.local/state/seq/token); others need it from --token-file FILE or SEQ_TOKEN")
DEFAULT_MAX_CLIENTS = 100
OPERATOR_SLOTS = 5  # of them, kept for operators and engineers


class Transport(Protocol):
    """One client connection, whatever carries it (TCP, websocket): it moves bytes; the client's
    ``protocol.Connection`` makes them into messages."""

    peer: str  # "host:port" of the other end, for logs
    signed_in: Principal | None  # who a browser's sign-in cookie says it is (it needs no token in its hello)

    async def receive_into(self, connection: protocol.Connection) -> None:
        """Feed the next bytes the client sent to ``connection`` (the end of its stream, too)."""

    async def send(self, batch: list[Parcel]) -> None:
        """Send encoded messages, in order (raises trio.BrokenResourceError once the client has gone)."""

    async def aclose(self) -> None:
        """Close the connection."""


class StreamTransport:
    """A byte stream (TCP) as a transport: msgpack maps back to back, a batch in one write."""

    signed_in = None

    def __init__(self, stream: trio.abc.Stream, peer: str, first_bytes: bytes = b"") -> None:
        self.peer = peer
        self._stream = stream
        self._first_bytes = first_bytes  # what the listener read to tell the protocol from HTTP

    async def receive_into(self, connection: protocol.Connection) -> None:
        data, self._first_bytes = self._first_bytes or await self._stream.receive_some(RECEIVE_SIZE), b""
        connection.receive_data(data)

    async def send(self, batch: list[Parcel]) -> None:
        await self._stream.send_all(wire_bytes(batch))

    async def aclose(self) -> None:
        await self._stream.aclose()


class Refused(Exception):
    """A client the server will not serve (the text says why); ``failed``: it did something wrong
    (a wrong token, no hello...), which its address pays for at the door."""

    def __init__(self, reason: str, *, failed: bool = True) -> None:
        super().__init__(reason)
        self.failed = failed


class Server:
    """The clients, the chain they share, and the snapshot they start from."""

    def __init__(self, *, keys: Keys, local_only: bool = True, queue_limit: int = DEFAULT_QUEUE_LIMIT,
                 max_clients: int = DEFAULT_MAX_CLIENTS, max_message_size: int = protocol.MAX_MESSAGE_SIZE,
                 shell_argv=None, ssl_context: ssl.SSLContext | None = None,
                 allowed_hosts: tuple[str, ...] = (), allowed_origins: tuple[str, ...] = (),
                 config: Config | None = None, registry: str | None = None,
                 doorway: Doorway | None = None) -> None:
        self.keys = keys  # every client shows one (in hello, or the page by its sign-in cookie): it gives its role
        self.audit: AuditLog | None = None  # opened once the port, which names it, is known
        self.doorway = doorway or Doorway()  # limits on connections not yet greeted
        self.local_only = local_only  # protected mode: clients of this machine only, too
        self.ssl_context = ssl_context  # TLS on every connection (protocol and web alike) when set
        self.web_guard = WebGuard(keys, tls=ssl_context is not None, allowed_hosts=allowed_hosts,
                                  allowed_origins=allowed_origins)
        self.queue_limit = queue_limit
        self.max_clients = max_clients
        self.max_message_size = max_message_size
        self.snapshot = protocol.Snapshot()
        self.clients: set[Client] = set()
        self._clients_changed = trio.Event()  # set (and replaced) whenever a client leaves
        self.chain = ShellChain(self.publish, self.snapshot, *([shell_argv] if shell_argv else []))
        self.config = config or default_config()
        self.component: Component | None = None  # when the server is a sequence component (--component)
        self.directory = DirectoryFeed(registry)  # the location service's directory, for clients that look (locate)

    @property
    def identity(self) -> str:
        """Who the server is, as its welcome says (the GUI shows it): a component adds what it runs
        and whether it simulates."""
        server = f"seqserver {seq.__version__} pid {os.getpid()}"
        return f"{server}, {self.component.describe()}" if self.component else server

    async def say_goodbye(self) -> None:
        """Tell every client the server is shutting down and let their queues drain (for a while)."""
        self.publish([protocol.notice("the server is shutting down")])
        for client in self.clients:
            client.finish()
        with trio.move_on_after(FLUSH_TIMEOUT):
            while self.clients:
                await self._clients_changed.wait()

    def publish(self, events: list[protocol.Event]) -> None:
        """Fan events out to every client (synchronously: clients' queues never block),
        a burst at a time: each client takes the whole burst at once while it keeps up."""
        for event in events:
            self.snapshot.apply(event)
        burst = Burst.of(events)
        for client in self.clients:
            client.offer(burst)

    async def handle_connection(self, stream: trio.SocketStream) -> None:
        """Serve one accepted connection: protocol or HTTP, told apart by its first bytes."""
        peer, accepted = peer_of(stream), stream
        ticket = self.doorway.enter(host_of(peer))
        if isinstance(ticket, str):
            await self._turn_away(stream, peer, ticket)
            return
        current_ticket.set(ticket)  # this task's: the handshake, web side included, reports to it
        try:
            first = b""
            with trio.move_on_after(FIRST_BYTES_TIMEOUT):
                first = await stream.receive_some(RECEIVE_SIZE)
                if first and self.ssl_context is not None:
                    if first[0] != TLS_HANDSHAKE_FIRST_BYTE:
                        await self._refuse_without_tls(stream, first, peer)
                        return
                    stream = await tls_stream(ReplayStream(stream, first), self.ssl_context, peer)
                    first = await stream.receive_some(RECEIVE_SIZE)
            tune_client_socket(accepted)
            if first and first[0] in MSGPACK_MAP_FIRST_BYTES:
                await self.handle_client(StreamTransport(stream, peer, first))
            elif first[:1].isalpha():
                from seqserver import web  # the GUI's side of the port

                await web.handle_http(self, stream, first)
            elif first:
                log.warning("connection speaks neither the protocol nor HTTP: closed", peer=peer)
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            log.info("connection lost", peer=peer)
        except Exception:
            # One connection must never take the server down; the log has the whole story.
            log.exception("connection failed", peer=peer)
        finally:
            self.doorway.leave(ticket)
            await stream.aclose()

    @staticmethod
    async def _turn_away(stream: trio.SocketStream, peer: str, reason: str) -> None:
        """Close a connection the door refuses, telling it why in its own terms if it speaks at once."""
        try:
            with trio.move_on_after(TURN_AWAY_TIMEOUT):
                first = await stream.receive_some(RECEIVE_SIZE)
                if first[:1] and first[0] in MSGPACK_MAP_FIRST_BYTES:
                    await stream.send_all(protocol.encode(protocol.Error(error=reason, fatal=True)))
                elif first[:1].isalpha():
                    from seqserver import web

                    await web.refuse_http(stream, first, 429, reason)
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            pass
        finally:
            await trio.aclose_forcefully(stream)

    @staticmethod
    async def _refuse_without_tls(stream: trio.abc.Stream, first: bytes, peer: str) -> None:
        """A client that does not speak TLS to a TLS server is told so in its own terms."""
        log.warning("connection without TLS: refused", peer=peer)
        if first[0] in MSGPACK_MAP_FIRST_BYTES:
            await stream.send_all(protocol.encode(protocol.Error(error=TLS_ONLY, fatal=True)))
        elif first[:1].isalpha():
            from seqserver import web

            await web.refuse_http(stream, first, 400, "This seqserver speaks HTTPS only: use an https:// address.")

    async def handle_client(self, transport: Transport) -> None:
        """Serve one protocol client from its ``hello`` until it leaves."""
        connection = protocol.Connection(protocol.SERVER, name="seqserver", max_message_size=self.max_message_size)
        ticket = current_ticket.get()
        try:
            client = await self._handshake(transport, connection)
        except Refused as exc:
            log.warning("client refused", peer=transport.peer, reason=str(exc))
            if exc.failed and ticket is not None and ticket.failed():
                log.warning("address held off: too many failed attempts", peer=transport.peer,
                            seconds=round(self.doorway.held_off_for(ticket.host), 1))
            with trio.move_on_after(FLUSH_TIMEOUT):
                await transport.send([Parcel.one(connection.refuse(str(exc)))])
            return
        if client is None:
            if ticket is not None:
                ticket.failed()  # it left, or sent what the protocol refuses, before being greeted
            return
        if ticket is not None:
            ticket.greeted()
        client.log.info("client connected", clients=len(self.clients))
        self._audit("connected", client.who)
        try:
            with client.cancel_scope:
                async with trio.open_nursery() as nursery:
                    nursery.start_soon(self._write_to, client, nursery.cancel_scope)
                    await self._serve_commands(client)
                    client.finish()
                    nursery.cancel_scope.deadline = trio.current_time() + FLUSH_TIMEOUT
        finally:
            self.clients.discard(client)
            self._clients_changed.set()
            self._clients_changed = trio.Event()
            client.log.info("client disconnected", clients=len(self.clients))
            self._audit("disconnected", client.who)

    async def _handshake(self, transport: Transport, connection: protocol.Connection) -> Client | None:
        """Wait for ``hello``, check it, register the client and queue its ``welcome``.

        None when the peer left, or sent something the protocol refuses (it has been told why).
        """
        try:
            with trio.fail_after(HANDSHAKE_TIMEOUT):
                while (event := connection.next_event()) is protocol.NEED_DATA:
                    await transport.receive_into(connection)
        except trio.TooSlowError:
            raise Refused(f"no hello within {HANDSHAKE_TIMEOUT:g} s") from None
        if event is protocol.ENDED:
            return None
        if isinstance(event, protocol.Refused):
            log.warning("client refused", peer=transport.peer, reason=event.answer.error)
            with trio.move_on_after(FLUSH_TIMEOUT):
                await transport.send([Parcel.one(connection.send(event.answer))])
            return None
        if self.local_only and not is_loopback(transport.peer):
            raise Refused(PROTECTED_MODE)
        principal = transport.signed_in or self.keys.find(event.token)
        if principal is None:
            raise Refused(WRONG_TOKEN)
        if event.name is not None and not (self.component and self.component.holds(event.name)):
            held = self.component.names() if self.component else "no sequence component"
            raise Refused(f"this server is not {protocol.quoted(event.name)}: it is {held} (the location service said "
                          "otherwise: the name moved, or another server took the port)", failed=False)
        if len(self.clients) >= self._slots_for(principal):
            raise Refused(f"too many clients: this server serves at most {self.max_clients}, the last "
                          f"{OPERATOR_SLOTS} of them operators and engineers only", failed=False)
        client = Client(transport, connection, event.client, principal, self.queue_limit)
        # Registering and copying the snapshot happen together: every later event follows it.
        client.post_encoded(connection.welcome(
            protocol.Welcome(version=protocol.VERSION, server=self.identity, snapshot=self.snapshot.current(),
                             role=principal.role)))
        self.clients.add(client)
        return client

    def _slots_for(self, principal: Principal) -> int:
        """How many clients may be connected for this one to join: observers leave the last few
        slots free, so that a room full of watchers never locks out the people who act."""
        if principal.may(protocol.OPERATOR):
            return self.max_clients
        return max(self.max_clients - OPERATOR_SLOTS, 0)

    async def _serve_commands(self, client: Client) -> None:
        """Relay the client's commands in order until it closes (or is disconnected for bad input).

        What the client sends is answered in order: replies, and the errors refusing
        bad messages. A command that ``interrupts`` (``abort``) coming while one of the
        client's commands is in progress is the exception: it is relayed at once, ahead
        of what is queued behind that command, since a ``load`` stuck in a module's
        import, or a ``wait``, would otherwise hold up the abort meant to end it. It
        still reaches the shell after the command in progress (a ``run`` sent just
        before, say).
        """
        in_progress = False

        async def answer_in_order(queued: trio.MemoryReceiveChannel) -> None:
            nonlocal in_progress
            async with queued:
                async for item in queued:
                    if isinstance(item, protocol.Error):
                        client.post(item)
                        continue
                    in_progress = True
                    try:
                        await self._relay(client, item)
                    finally:
                        in_progress = False

        async with trio.open_nursery() as nursery:
            queue, queued = trio.open_memory_channel(COMMANDS_READ_AHEAD)
            nursery.start_soon(answer_in_order, queued)
            async with queue:
                async for item in self._received(client):
                    if in_progress and isinstance(item, protocol.Cmd) and _interrupts(item.line):
                        nursery.start_soon(self._relay, client, item)
                    else:
                        await queue.send(item)

    async def _relay(self, client: Client, command: protocol.Cmd) -> None:
        try:
            spec, words = protocol.lookup(command.line)
        except protocol.CommandLineError:
            spec, words = None, []  # the shell answers what is wrong with the line
        needed = spec.role_for(words) if spec is not None else protocol.OBSERVER
        if not client.principal.may(needed):
            client.log.warning("command refused", command=spec.name, needs=needed)
            self._audit("refused", client.who, command.line, needs=needed)
            client.post(protocol.Reply(
                id=command.id, ok=False, output="",
                error=f"{spec.name}: needs the {needed} role; your token ({client.principal.token}) gives "
                      f"{client.principal.role}"))
            return
        started = time.monotonic()
        if spec is not None and spec.runs_in == protocol.SEQSERVER:
            reply = (await self._server_command(client, spec, words)).reply(command.id)
        else:
            reply = protocol.Reply(**{**await self.chain.command(command.line), "id": command.id})
        if needed != protocol.OBSERVER:  # it changes something: the audit trail says who, and how it ended
            self._audit("command", client.who, command.line, ok=reply.ok, error=reply.get("error") or "",
                        duration=time.monotonic() - started)
        client.post(reply)

    def _audit(self, entry: str, *args, **fields) -> None:
        if self.audit is not None:
            getattr(self.audit, entry)(*args, **fields)

    async def _server_command(self, client: Client, command: protocol.Command, words: list[str]) -> protocol.Outcome:
        if command.name == LOCATE:
            return await self.directory.locate(client, command, words)
        if self.component is None:
            return protocol.Outcome.failure(f"{command.name}: this server is no sequence component (start it with "
                                            "--component SUBSYSTEM.NAME)")
        return await self.component.run(command, words)

    async def _received(self, client: Client) -> AsyncIterator[protocol.Cmd | protocol.Error]:
        """The client's commands until it closes, and the error answering each message refused;
        after a fatal one (too many bad messages in a row), the end."""
        connection = client.connection
        while True:
            event = connection.next_event()
            if event is protocol.NEED_DATA:
                try:
                    await receive_in_time(connection, lambda: client.transport.receive_into(connection))
                except (trio.BrokenResourceError, trio.ClosedResourceError):
                    return
            elif event is protocol.ENDED:
                return
            elif isinstance(event, protocol.Refused):
                client.log.warning("bad message", error=event.answer.error)
                yield event.answer
                if event.fatal:
                    return
            else:
                yield event

    async def _write_to(self, client: Client, cancel_scope: trio.CancelScope) -> None:
        """Deliver the client's queue; when the client has gone, stop serving it."""
        try:
            await client.write(self.snapshot)
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            client.log.info("client connection lost")
        finally:
            cancel_scope.cancel()


def _interrupts(line: str) -> bool:
    """Whether a command line goes ahead of what its client queued (``abort``)."""
    command = protocol.verb(line)
    return command is not None and command.interrupts


def tune_client_socket(stream: trio.SocketStream) -> None:
    """Bound what a client's connection may hold, and notice peers that vanished.

    A fixed send buffer bounds the kernel memory held for a slow reader (the
    per-client queue does the rest). Keepalive probes find a peer that vanished
    while the connection was idle, in about 90 s.
    """
    options = [
        (socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER),
        (socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1),
        (socket.IPPROTO_TCP, getattr(socket, "TCP_KEEPIDLE", None), 60),
        (socket.IPPROTO_TCP, getattr(socket, "TCP_KEEPINTVL", None), 10),
        (socket.IPPROTO_TCP, getattr(socket, "TCP_KEEPCNT", None), 3),
    ]
    for level, option, value in options:
        if option is not None:  # the last three are Linux's
            stream.setsockopt(level, option, value)


class ReplayStream(trio.abc.Stream):
    """A stream that yields ``prefix`` before what ``inner`` still has to give.

    It lets a second parser (TLS, the websocket handshake) read bytes that a
    first one (the listener's sniffing, h11) already took off the socket.
    """

    def __init__(self, inner: trio.abc.Stream, prefix: bytes):
        self.transport_stream = inner
        self._prefix = prefix

    async def receive_some(self, max_bytes: int | None = None) -> bytes:
        if self._prefix:
            size = len(self._prefix) if max_bytes is None else max_bytes
            data, self._prefix = self._prefix[:size], self._prefix[size:]
            return data
        return await self.transport_stream.receive_some(max_bytes)

    async def send_all(self, data) -> None:
        await self.transport_stream.send_all(data)

    async def wait_send_all_might_not_block(self) -> None:
        await self.transport_stream.wait_send_all_might_not_block()

    async def aclose(self) -> None:
        await self.transport_stream.aclose()


def socket_of(stream: trio.abc.Stream):
    """The socket under a stream accepted by the server (under TLS and replaying streams)."""
    while hasattr(stream, "transport_stream"):
        stream = stream.transport_stream
    return stream.socket


async def tls_stream(stream: trio.SocketStream, context: ssl.SSLContext, peer: str) -> trio.SSLStream:
    """The TLS side of an accepted connection, once the handshake is done (BrokenResourceError if it fails)."""
    secured = trio.SSLStream(stream, context, server_side=True, https_compatible=True)
    try:
        await secured.do_handshake()
    except trio.BrokenResourceError as exc:
        log.warning("TLS handshake failed: closed", peer=peer, problem=str(exc.__cause__ or exc))
        raise
    return secured


def peer_of(stream: trio.abc.Stream) -> str:
    """``host:port`` of the other end of a socket stream (or of the TLS stream over one)."""
    host, port = socket_of(stream).getpeername()[:2]
    return f"{host}:{port}"


def host_of(peer: str) -> str:
    """The host of a peer's "host:port"."""
    return peer.rpartition(":")[0]


def is_loopback(peer: str) -> bool:
    """Whether a peer ("host:port") is on this machine."""
    return access.is_this_machine(host_of(peer))


async def open_listeners(host: str | None, port: int) -> list[trio.SocketListener]:
    """Listen on ``host`` (every interface when None); with port 0, on one port chosen by the system."""
    listeners = await trio.open_tcp_listeners(port, host=host)
    if port == 0 and len(listeners) > 1:
        # Each address family would get a port of its own: keep one family, IPv4 if there.
        listeners.sort(key=lambda listener: listener.socket.family != socket.AF_INET)
        for extra in listeners[1:]:
            await extra.aclose()
        listeners = listeners[:1]
    return listeners


def allow_all_file_descriptors() -> None:
    """Raise the soft limit on open files to the hard one: each client, and each connection at the door,
    holds one, and running out would lock operators out."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    except (ValueError, OSError):  # an unlimited hard limit is more than the system allows: keep the soft one
        log.info("open files limit kept", soft=soft, hard=hard)


def listening_address(listeners: list[trio.SocketListener]) -> str:
    names = [listener.socket.getsockname() for listener in listeners]
    host, port = next((name for name in names if len(name) == 2), names[0])[:2]
    return format_address(host, port)


async def accept_clients(server: Server, listeners, handler_nursery: trio.Nursery, *,
                         task_status=trio.TASK_STATUS_IGNORED) -> None:
    """Accept connections (each served in ``handler_nursery``) until the cancel scope it reports is cancelled."""
    with trio.CancelScope() as scope:
        task_status.started(scope)
        await trio.serve_listeners(server.handle_connection, listeners, handler_nursery=handler_nursery)


async def serve(address: str, component: ComponentOptions | None = None, audit: AuditOptions = AuditOptions(),
                **options) -> None:
    """Run the server until SIGTERM or SIGINT; everything it starts ends with it.

    A sequence component registers in the location service before it starts its
    shell and kernel (which are then given back the work a server of the same name
    saved), and unregisters when it stops. On a signal the server stops listening,
    tells every client it is shutting down, gives their queues ``FLUSH_TIMEOUT``
    seconds to drain, then ends the shell and kernel (see :mod:`seqserver.chain`)
    and returns.
    """
    host, port = parse_address(address, default_host=None)
    server = Server(**options)
    allow_all_file_descriptors()
    reaper.become_subreaper()
    listeners = await open_listeners(host, port)
    server.web_guard.port = listeners[0].socket.getsockname()[1]
    server.audit = audit.open(server.web_guard.port, server.identity)
    with trio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
        async with trio.open_nursery() as nursery:
            if component is not None:
                entry = Entry(component.name, host=host or socket.gethostname(), port=server.web_guard.port,
                              tls=server.ssl_context is not None, version=seq.__version__,
                              simulation=component.simulation)
                server.component = await nursery.start(serve_component, component, server.chain, server.config,
                                                       entry)
            await nursery.start(server.directory.run)
            nursery.start_soon(server.chain.run)
            nursery.start_soon(reaper.reap_exited_orphans, lambda: server.chain.managed_pids)
            listening = await nursery.start(accept_clients, server, listeners, nursery)
            print(f"seqserver listening on {listening_address(listeners)}", flush=True)
            log.info("listening", address=listening_address(listeners))
            async for signum in signals:
                log.info("stopping", signal=signal.Signals(signum).name)
                break
            listening.cancel()
            await server.say_goodbye()
            nursery.cancel_scope.cancel()
    server.audit.close()
    log.info("stopped")
