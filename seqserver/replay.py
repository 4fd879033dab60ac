"""A recorded run served to the web GUI as a server would serve it live (``seqtool gui --replay``).

The page, its files and its sign-in are the live server's (:mod:`seqserver.web`);
behind the websocket, instead of a chain, this server answers ``hello`` with an
empty tree and then sends the events of the run's log, all at once, so the page
draws the run's tree, timeline and logs as they stood at its end. It runs
nothing: every command is refused. Like a live server it serves the user's own
page only: the page signs in with the user's own token.
"""
from __future__ import annotations

import structlog
import trio

import protocol
import seq
from seqclient.outbox import Parcel
from seqserver import web
from seqserver.keys import Keys
from seqserver.runlog import RunLog
from seqserver.server import WRONG_TOKEN, Transport
from seqserver.webguard import WebGuard

log = structlog.get_logger("seqserver.replay")

BATCH = 512  # events handed to the websocket at once (one frame, for a page that asked for batched frames)
HANDSHAKE_TIMEOUT = 10.0
NOTHING_TO_RUN = "this is a recorded run (seqtool gui --replay): it runs nothing"


class ReplayServer:
    """What :func:`seqserver.web.handle_http` needs of a server, for one recorded run."""

    def __init__(self, name: str, run: RunLog, token: str) -> None:
        self.identity = f"seqtool gui --replay {name} (seq {seq.__version__})"
        self.keys = Keys.single(token, "owner")
        self.web_guard = WebGuard(self.keys)
        self.max_message_size = protocol.MAX_MESSAGE_SIZE
        self.events = [protocol.Event(**event) for event in run.events]
        encoded = [(protocol.encode(event), None) for event in self.events]
        self.parcels = [Parcel.of(encoded[start:start + BATCH]) for start in range(0, len(encoded), BATCH)]

    async def serve(self, host: str, port: int, *, task_status=trio.TASK_STATUS_IGNORED) -> None:
        """Listen on host:port (0: any free port); reports the port it listens on."""
        listeners = await trio.open_tcp_listeners(port, host=host)
        self.web_guard.port = listeners[0].socket.getsockname()[1]
        task_status.started(self.web_guard.port)
        await trio.serve_listeners(self.handle_connection, listeners)

    async def handle_connection(self, stream: trio.SocketStream) -> None:
        with trio.move_on_after(web.REQUEST_TIMEOUT):
            first = await stream.receive_some(web.RECEIVE_SIZE)
        if first:
            await web.handle_http(self, stream, first)
        else:
            await trio.aclose_forcefully(stream)

    async def handle_client(self, transport: Transport) -> None:
        """The page's websocket: ``welcome``, every event of the run, then a refusal for each command."""
        connection = protocol.Connection(protocol.SERVER, name="replay", max_message_size=self.max_message_size)
        with trio.move_on_after(HANDSHAKE_TIMEOUT):
            hello = await _next_event(transport, connection)
        if not isinstance(hello, protocol.Hello):
            if isinstance(hello, protocol.Refused):
                await transport.send([Parcel.one(connection.send(hello.answer))])
            return
        if transport.signed_in is None and self.keys.find(hello.token) is None:
            await transport.send([Parcel.one(connection.refuse(WRONG_TOKEN))])
            return
        await transport.send([Parcel.one(connection.welcome(protocol.Welcome(
            version=protocol.VERSION, server=self.identity, snapshot=protocol.empty_snapshot(),
            role=protocol.OBSERVER)))])
        for parcel in self.parcels:
            await transport.send([parcel])
        log.info("recorded run sent", peer=transport.peer, events=len(self.events))
        while (event := await _next_event(transport, connection)) is not protocol.ENDED:
            if isinstance(event, protocol.Cmd):
                answer = protocol.Reply(id=event.id, ok=False, output="", error=NOTHING_TO_RUN)
            else:
                answer = event.answer
            await transport.send([Parcel.one(connection.send(answer))])
            if isinstance(event, protocol.Refused) and event.fatal:
                return


async def _next_event(transport: Transport, connection: protocol.Connection):
    """The connection's next event, reading from the transport as long as it needs bytes."""
    while (event := connection.next_event()) is protocol.NEED_DATA:
        await transport.receive_into(connection)
    return event
