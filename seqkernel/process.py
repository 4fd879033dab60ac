"""The kernel process: one protocol connection, one engine, one nursery.

``serve`` is the whole life of a kernel, visible in one function: the writer
sends what the publisher queues, the reader feeds the peer's bytes to the
protocol's connection core (which answers the handshake's and bad input's
cases as every process does) and hands commands to the command language, the
engine runs scripts and publishes what happens, and the heartbeat shows the
kernel's parent that the event loop turns (the black box also names the steps
running, for a parent whose kernel stopped answering or died).
Commands are carried out in the order they arrive; a command that waits
(``wait``, or a load importing modules in a worker thread) finishes in a task of
its own, so that an ``abort`` sent after it is served at once. Replies carry the
command's id.
"""
from __future__ import annotations

import logging
import os
import pathlib
from collections.abc import Awaitable, Callable

import structlog
import trio

import protocol
import seq
from protocol import Outcome
from seqclient.link import receive_from
from seqkernel import host
from seqkernel.capture import OutputCapture
from seqkernel.commands import Commands
from seqkernel.engine import Engine
from seqkernel.publisher import Publisher
from seqkernel.blackbox import BlackBox
from seqkernel.heartbeat import Heartbeat

SERVER_NAME = f"seqkernel {seq.__version__}"
FLUSH_TIMEOUT = 2.0  # seconds for the last messages to reach a peer that is leaving
MAX_WAITING = 64  # concurrent waiting commands (wait, load...) per connection


def kernel_logger(session_dir: str | None, level: str = "INFO"):
    """The kernel's own log: ``kernel.log`` in the session directory, or nowhere.

    A logger of its own (not structlog's global configuration), so whatever the
    engine or user code configure does not change where the kernel's records go.
    """
    if session_dir is None:
        return structlog.wrap_logger(
            structlog.ReturnLogger(), wrapper_class=structlog.make_filtering_bound_logger(logging.CRITICAL)
        ).bind()  # bind: a concrete logger, not a proxy that rebuilds one on every call
    path = pathlib.Path(session_dir)
    path.mkdir(parents=True, exist_ok=True)
    log_file = open(path / "kernel.log", "a", buffering=1, encoding="utf-8")
    return structlog.wrap_logger(
        structlog.WriteLogger(log_file),
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=False),
            structlog.processors.format_exc_info,
            structlog.dev.ConsoleRenderer(colors=False),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(getattr(logging, level.upper(), logging.INFO)),
    ).bind(pid=os.getpid())


class Kernel:
    """Serves one protocol peer with one engine."""

    def __init__(self, publisher: Publisher, log, instrument: str | None = None,
                 output: OutputCapture | None = None, log_level: str = "INFO",
                 black_box: BlackBox | None = None) -> None:
        self.publisher = publisher
        self.catch_up_output = output.catch_up if output is not None else (lambda: None)
        self.instrument = instrument
        self.log = log
        self.log_level = log_level  # of the scripts' log records the kernel publishes
        self.engine: Engine | None = None
        self.commands: Commands | None = None
        self.connection = protocol.Connection(protocol.SERVER, name="seqkernel",
                                              max_message_size=publisher.max_message_size)
        self.waiting = 0  # commands running in their own task (each holds memory until it replies)
        self.black_box = black_box or BlackBox.private()
        self.heartbeat = Heartbeat(self.black_box, publisher)
        self._logs_every_event = log.is_enabled_for(logging.DEBUG)  # (checked once: events are the hot path)

    def publish(self, record: dict) -> None:
        """The engine's publish callback: queue the record as an event, never raise into the engine.

        What steps wrote to fds 1 and 2 until now is queued first, so it comes before the record.
        """
        self.catch_up_output()
        self.black_box.observe(record)
        try:
            self.publisher.publish(record)
        except protocol.ProtocolError as exc:
            self.log.error("invalid event record from the engine", record=repr(record)[:500], problem=str(exc))
            self.publisher.publish({"kind": "notice", "level": "ERROR", "message": f"kernel: invalid event: {exc}"})
        if record.get("kind") in ("run", "error", "tree"):
            self.log.info("event", **{k: v for k, v in record.items() if k != "snapshot"})
        elif self._logs_every_event:
            self.log.debug("event", **record)

    async def serve(self, stream: trio.abc.Stream) -> None:
        """Serve the peer on ``stream`` until it closes its end (or the connection is closed by a fatal error)."""
        async with Engine.open(publish=self.publish, log_level=self.log_level) as engine:
            self.engine = engine
            self.commands = Commands(engine, self.instrument)
            async with trio.open_nursery() as nursery:
                await nursery.start(self._write, stream, nursery.cancel_scope)
                await nursery.start(self.heartbeat.run)
                try:
                    await self._read(stream, nursery)
                    self.log.info("connection ended")
                except trio.BrokenResourceError as exc:
                    self.log.info("connection broken while reading", problem=str(exc))
                with trio.move_on_after(FLUSH_TIMEOUT):
                    await self.publisher.flushed()  # a fatal error, the last thing said, reaches the peer
                nursery.cancel_scope.cancel()

    async def _write(self, stream, connection_scope: trio.CancelScope, task_status=trio.TASK_STATUS_IGNORED) -> None:
        try:
            await self.publisher.run_writer(stream, task_status=task_status)
        except trio.BrokenResourceError as exc:
            self.log.info("connection broken while writing", problem=str(exc))
            connection_scope.cancel()

    async def _read(self, stream: trio.abc.ReceiveStream, nursery: trio.Nursery) -> None:
        """Take the peer's messages in order until its stream ends.

        Reading pauses while the outgoing backlog is full, so a peer that sends
        commands but does not read the replies cannot grow the kernel's memory.
        """
        while True:
            await self.publisher.wait_for_room()
            await receive_from(stream, self.connection)
            while (event := self.connection.next_event()) is not protocol.NEED_DATA:
                if event is protocol.ENDED:
                    return
                if isinstance(event, protocol.Refused):
                    self.log.warning("refused input", problem=event.answer.error)
                    self.publisher.send(self.connection.send(event.answer))
                elif isinstance(event, protocol.Hello):
                    self.log.info("hello", client=event.client)
                    self.publisher.send(self.connection.welcome(protocol.Welcome(
                        version=protocol.VERSION, server=f"{SERVER_NAME} pid {os.getpid()}",
                        snapshot=self.engine.snapshot())))
                else:
                    self._command(event, nursery)

    def _command(self, command: protocol.Cmd, nursery: trio.Nursery) -> None:
        if self.commands.is_waiting(command.line) and self.waiting >= MAX_WAITING:
            self._reply(command, Outcome(error=f"too many commands waiting ({MAX_WAITING}); wait for one to "
                                              "finish first"))
            return
        self.log.info("command", id=command.id, line=command.line)
        started = self.commands.start(command.line)
        if isinstance(started, Outcome):
            self._reply(command, started)
        else:
            self.waiting += 1
            nursery.start_soon(self._reply_when_finished, command, started)

    async def _reply_when_finished(self, command: protocol.Cmd, finishing: Awaitable[Outcome]) -> None:
        try:
            self._reply(command, await finishing)
        finally:
            self.waiting -= 1

    def _reply(self, command: protocol.Cmd, outcome: Outcome) -> None:
        reply = outcome.reply(command.id)
        self.catch_up_output()  # what the command made steps write comes before its reply
        try:
            data = self.connection.send(reply)
        except protocol.ProtocolError as exc:  # a reply too large for one message
            data = self.connection.send(protocol.Reply(id=command.id, ok=False, output="", error=str(exc)))
        self.publisher.send(data)
        if not reply.ok:
            self.log.info("command failed", id=command.id, error=reply.error)


def run(
    open_stream: Callable[[], trio.abc.Stream],
    *,
    session_dir: str | None = None,
    instrument: str | None = None,
    log_level: str = "INFO",
    max_message_size: int = protocol.MAX_MESSAGE_SIZE,
    black_box: BlackBox | None = None,
) -> None:
    """Run a kernel to completion: capture fds 1 and 2, serve the stream, give the fds back."""
    log = kernel_logger(session_dir, log_level)
    publisher = Publisher(max_message_size=max_message_size)
    capture = OutputCapture(publisher.publish_output)
    capture.start()
    log.info("kernel started", instrument=instrument)
    try:
        kernel = Kernel(publisher, log, instrument, capture, log_level, black_box)
        host.run(_serve, kernel, open_stream)  # (trio as asyncio's guest)
    except BaseException:
        log.exception("kernel stopped by an exception")
        raise
    finally:
        publisher.close()
        capture.stop()
    log.info("kernel stopped")


async def _serve(kernel: Kernel, open_stream: Callable[[], trio.abc.Stream]) -> None:
    async with open_stream() as stream:
        await kernel.serve(stream)

