"""A recorded run served to the web GUI as a server would serve it live (``seqtool gui --replay``).

The page, its files and its sign-in are the live server's (:mod:`seqserver.web`);
behind the websocket, instead of a chain, this server answers ``hello`` with an
empty tree and then sends the events of the run's log, all at once, so the page
draws the run's tree, timeline and logs as they stood at its end. It runs
nothing: every command is refused. Like a live server it serves the user's own
page only: the page signs in with the user's own token.
"""
from __future__ import annotations

import hmac

import structlog
import trio

import protocol
import seqserver
from seqserver import web
from seqserver.runlog import RunLog
from seqserver.webguard import WebGuard

log = structlog.get_logger("seqserver.replay")

EMPTY = {"status": "idle", "modules": [], "obs": [], "scripts": [], "dialogs": []}
BATCH = 512  # events in one websocket frame, for a page that asked for batched frames
HANDSHAKE_TIMEOUT = 10.0
NOTHING_TO_RUN = "this is a recorded run (seqtool gui --replay): it runs nothing"


class ReplayServer:
    """What :func:`seqserver.web.handle_http` needs of a server, for one recorded run."""

    def __init__(self, name: str, run: RunLog, token: str) -> None:
        self.identity = f"seqtool gui --replay {name} (seq {seqserver.__version__})"
        self.token = token
        self.web_guard = WebGuard(token)
        self.max_message_size = protocol.MAX_MESSAGE_SIZE
        self.events = [protocol.Event(**event) for event in run.events]
        self.encoded = [protocol.encode(event) for event in self.events]

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

    async def handle_client(self, transport) -> None:
        """The page's websocket: ``welcome``, every event of the run, then a refusal for each command."""
        with trio.move_on_after(HANDSHAKE_TIMEOUT):
            hello = await transport.receive()
        if not hello or hello.get("type") != "hello":
            return
        signed_in = getattr(transport, "signed_in", False) or hmac.compare_digest(
            (hello.get("token") or "").encode(), self.token.encode())
        if not signed_in:
            await transport.send({"type": "error", "error": "wrong or missing token", "fatal": True})
            return
        await transport.send({"type": "welcome", "version": protocol.VERSION, "server": self.identity,
                              "snapshot": EMPTY})
        await self.send_events(transport)
        log.info("recorded run sent", peer=transport.peer, events=len(self.events))
        while True:
            try:
                message = await transport.receive()
            except protocol.ProtocolError as exc:
                await transport.send({"type": "error", "error": str(exc), "fatal": False})
                continue
            if message is None:
                return
            if message["type"] == "cmd":
                await transport.send({"type": "reply", "id": message["id"], "ok": False, "output": "",
                                      "error": NOTHING_TO_RUN})

    async def send_events(self, transport) -> None:
        """Every event: in frames of BATCH events for a page that asked for batched frames, else one by one."""
        send_encoded = getattr(transport, "send_encoded", None)
        if send_encoded is None:
            for event in self.events:
                await transport.send(event.to_dict())
            return
        for start in range(0, len(self.encoded), BATCH):
            await send_encoded(b"".join(self.encoded[start:start + BATCH]))
