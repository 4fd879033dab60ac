"""``seqshell --pipe``: the shell as the server's child, speaking the protocol on stdin/stdout.

Each ``cmd`` line is executed exactly as if typed at the prompt and its text
comes back in the ``reply``; the kernel's events are forwarded as they arrive.
Commands are served concurrently: a line is parsed and checked by the cmd2
application synchronously in the trio thread (so two commands' output can never
mix), the kernel round trips it produced are then awaited in a task of its own,
so one client's ``wait`` never holds up another's ``abort``.
"""
from __future__ import annotations

import contextlib
import io
import os
import sys

import structlog
import trio

import protocol
from protocol import Outcome
from seqclient.link import receive_from
from seqclient.outbox import Outbox, wire_bytes
from seqshell.base import ShellBase

log = structlog.get_logger("seqshell.pipe")


def detach_stdio() -> tuple[int, int]:
    """Take fds 0 and 1 for the protocol; afterwards fd 0 reads nothing and fd 1 goes to stderr.

    Anything later written to fd 1 (a stray print, a subprocess of ``bp``) would
    corrupt the protocol; this makes it harmless.
    """
    protocol_in, protocol_out = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.dup2(2, 1)
    return protocol_in, protocol_out


COMMANDS_QUEUED = 64  # lines read ahead of the one running; the server sends a client's next line after its reply
OUTBOX_LIMIT = 1024 * 1024  # bytes waiting for the server before forwarding events waits (the kernel then coalesces)


class PipeServer:
    """The shell's side of the protocol towards the server: its commands in, replies and events out."""

    def __init__(self, app: ShellBase, target, receive_stream, send_stream) -> None:
        self.app = app
        self.target = target
        self._receive_stream = receive_stream
        self.connection = protocol.Connection(protocol.SERVER, name="seqshell")
        self.outbox = Outbox(lambda batch: send_stream.send_all(wire_bytes(batch)))  # written by run_writer

    async def run_writer(self) -> None:
        """Write what the outbox holds until it is finished (run by the owner, to outlast serve())."""
        try:
            await self.outbox.run_writer()
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            log.info("the server has stopped reading")

    async def forward_events(self, events: list[protocol.Event]) -> None:
        """The target's events, a burst at a time: keep the shell's picture current and pass them on
        (once the server is welcomed: until then, the welcome's snapshot carries them)."""
        for event in events:
            self.app.observe(event)
        if self.connection.state is protocol.State.OPEN:
            # The kernel's events go on as the bytes they came in, the burst in one piece.
            self.outbox.put(b"".join(map(protocol.encode, events)))
            await self.outbox.wait_for_room(OUTBOX_LIMIT)

    async def serve(self) -> None:
        """Serve until the server closes our stdin (or the connection is closed by a fatal error)."""
        async with trio.open_nursery() as nursery:
            send_command, receive_command = trio.open_memory_channel(COMMANDS_QUEUED)
            nursery.start_soon(self._execute_in_order, receive_command, nursery)
            while True:
                await receive_from(self._receive_stream, self.connection)
                while (event := self.connection.next_event()) is not protocol.NEED_DATA:
                    if event is protocol.ENDED:
                        nursery.cancel_scope.cancel()
                        return
                    if isinstance(event, protocol.Refused):
                        log.warning("bad input on the pipe", error=event.answer.error)
                        await self.outbox.send_urgent(self.connection.send(event.answer))
                    elif isinstance(event, protocol.Hello):
                        self.welcome()
                    else:
                        await send_command.send(event)

    async def _execute_in_order(self, commands, nursery) -> None:
        """Run lines in arrival order, as the kernel does (a ``pause 3`` sent before
        ``run`` takes effect before it); only the commands that may take long (``wait``,
        and the loads, whose modules may hang while imported) run beside the others, so
        that one client's ``wait`` or hung ``load`` never holds up another's ``abort``."""
        async for cmd in commands:
            if (command := protocol.verb(cmd.line)) is not None and command.waits:
                nursery.start_soon(self.execute, cmd)
            else:
                await self.execute(cmd)

    def welcome(self) -> None:
        """Welcome the server with the shell's own picture of the tree, which every event
        forwarded so far has brought up to date, and from which every later one follows."""
        self.outbox.put(self.connection.welcome(protocol.Welcome(
            version=protocol.VERSION, server=f"seqshell pid {os.getpid()}", snapshot=self.app.tree.current())))

    async def execute(self, cmd: protocol.Cmd) -> None:
        """Run one line as if typed at the prompt; reply with its text.

        Only the commands of the protocol's table are taken: cmd2's own (``alias``,
        ``history``, ``set``...) would be shared by every client of the server.
        """
        if protocol.verb(cmd.line) is None:
            try:
                protocol.lookup(cmd.line)
                outcome = Outcome()  # an empty line, or a comment
            except protocol.CommandLineError as exc:
                outcome = Outcome.failure(str(exc))
            await self.outbox.send_urgent(self.connection.send(outcome.reply(cmd.id)))
            return
        with capture_output(self.app) as (stdout, stderr), self.app.deferring() as actions:
            self.app.onecmd_plus_hooks(cmd.line, add_to_history=False)
            parsed = Outcome(ok=not self.app.last_failed)
        outcome = parsed.then(Outcome(output=stdout.getvalue(), error=stderr.getvalue(), ok=True))
        for action in actions:
            try:
                outcome = outcome.then(await action())
            except Exception as exc:
                log.exception("command failed", line=cmd.line)
                outcome = outcome.then(Outcome.failure(f"{type(exc).__name__}: {exc}"))
        await self.outbox.send_urgent(self.connection.send(outcome.reply(cmd.id)))


@contextlib.contextmanager
def capture_output(app: ShellBase):
    """Collect what a command prints (cmd2 writes output to app.stdout, errors to sys.stderr)."""
    stdout, stderr = io.StringIO(), io.StringIO()
    saved = app.stdout, sys.stderr
    app.stdout, sys.stderr = stdout, stderr
    try:
        yield stdout, stderr
    finally:
        app.stdout, sys.stderr = saved
