"""What waits to be sent to one client, and what is left out when the client falls behind.

Every message for a client goes through its :class:`Client` queue (a
:class:`seqclient.outbox.Outbox`), written out in batches by one writer task.
Events are offered to every client's queue at once, a burst as one
:class:`Burst`, the bytes they were received in (a burst is encoded and joined
once, however many clients get it). What a client can hold is bounded in bytes:

- a ``tree`` event that carries the whole tree (a snapshot) makes the ``state``
  and ``tree`` events still queued before it pointless: they are left out (a
  ``tree`` event of an edit, which says only what changed, is queued as any other);
- while more than ``queue_limit`` bytes wait for a client, the events a fresh
  snapshot supersedes (``state``, ``log``, ``output``) are dropped for it, and
  once it has read its queue it is resynchronised: a ``notice`` saying what it
  missed, then a ``tree`` event (action ``restored``) with the current snapshot;
- a client with ``HARD_LIMIT_FACTOR`` times ``queue_limit`` bytes waiting (it
  reads nothing, and what it is sent cannot be left out), or one that has not
  taken a batch in ``STUCK_AFTER`` seconds, is disconnected.

Replies, protocol errors and the other event kinds (``run``, ``error``,
``dialog``, ``notice``, ``directory``) are always delivered to a client that stays.
"""
from __future__ import annotations

import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, NamedTuple

import structlog
import trio

import protocol
from seqclient.outbox import Outbox, Parcel
from seqserver.keys import Principal

if TYPE_CHECKING:
    from seqserver.server import Transport

log = structlog.get_logger("seqserver")

# Events a client that fell behind can do without: the fresh snapshot it gets restates the states,
# and log and output lines are counted in the notice.
SUPERSEDED_BY_SNAPSHOT = frozenset({"state", "log", "output"})
TREE_EDIT = "tree edit"  # a tree event saying what an edit changed: it supersedes nothing
SUPERSEDED_BY_TREE = frozenset({"state", "tree", TREE_EDIT})  # what a later tree event with a snapshot makes pointless
HARD_LIMIT_FACTOR = 4
STUCK_AFTER = 60.0  # seconds a client may take to read one batch before it is disconnected


class Outgoing(NamedTuple):
    """One event on its way to clients: its bytes (encoded once however many clients get it) and
    kind, the tag a client's queue reads when it leaves events out."""

    encoded: bytes
    kind: str

    @classmethod
    def of(cls, event: protocol.Event) -> Outgoing:
        kind = event.kind
        return cls(protocol.encode(event), TREE_EDIT if kind == "tree" and event.snapshot is None else kind)


class Burst(NamedTuple):
    """Events on their way to every client, as one parcel each client's queue takes whole."""

    parcel: Parcel
    has_snapshot: bool  # a tree event with the whole tree is among them

    @classmethod
    def of(cls, events: Iterable[protocol.Event]) -> Burst:
        outgoing = [Outgoing.of(event) for event in events]
        return cls(Parcel.of(outgoing), any(event.kind == "tree" for event in outgoing))


class Client:
    """A connected client: its transport, its end of the protocol, and its queue of outgoing messages."""

    def __init__(self, transport: Transport, connection: protocol.Connection, name: str, principal: Principal,
                 queue_limit: int) -> None:
        self.transport = transport
        self.connection = connection
        self.name = name
        self.principal = principal  # the role its token gives, and the token's name
        self.who = {"client": name, "peer": transport.peer, "role": principal.role, "token": principal.token}
        self.log = log.bind(**self.who)
        self._queue_limit = queue_limit
        self.outbox = Outbox(self._send)
        self.dropped = 0  # events dropped since the queue last overflowed
        self.cancel_scope = trio.CancelScope()  # ends the client's connection

    def post(self, message: protocol.Message) -> None:
        """Queue a message that must arrive (a reply, an error)."""
        self.outbox.put(self.connection.send(message))

    def post_encoded(self, data: bytes) -> None:
        """Queue the bytes of a message that must arrive (the welcome)."""
        self.outbox.put(data)

    def offer(self, burst: Burst) -> None:
        """Queue a burst of events, leaving out what it supersedes and, for a client too far behind,
        what it can do without."""
        if burst.has_snapshot:
            self.outbox.discard(lambda kind: kind in SUPERSEDED_BY_TREE)
        if not self.dropped and self.outbox.size <= self._queue_limit:
            self.outbox.put_parcel(burst.parcel)  # the usual case
            return
        for encoded, kind in burst.parcel.messages:
            if kind in SUPERSEDED_BY_SNAPSHOT:
                if not self.dropped:
                    self.log.warning("client too slow: dropping its state, log and output events until it "
                                     "catches up", queued=self.outbox.size)
                self.dropped += 1
            else:
                self.outbox.put(encoded, kind)
        if self.outbox.size > self._queue_limit * HARD_LIMIT_FACTOR:
            # Before giving up on the client, what it can do without that is still queued goes too.
            self.dropped += self.outbox.discard(lambda kind: kind in SUPERSEDED_BY_SNAPSHOT)
        if self.outbox.size > self._queue_limit * HARD_LIMIT_FACTOR:
            self.log.warning("client far too slow: disconnected", queued=self.outbox.size)
            self.cancel_scope.cancel()

    def finish(self) -> None:
        """No more messages: the writer ends once the queue is delivered."""
        self.outbox.finish()

    async def write(self, snapshot: protocol.Snapshot) -> None:
        """Deliver the queue until it is finished (raises trio.BrokenResourceError once the client has gone)."""
        await self.outbox.run_writer(lambda: self._resynchronisation(snapshot))

    def _resynchronisation(self, snapshot: protocol.Snapshot) -> list[bytes]:
        """Once a client that missed events has caught up, what brings it back: the snapshot taken
        now is followed by every later event."""
        if not self.dropped or self.outbox:
            return []
        self.log.warning("client resynchronised", dropped=self.dropped)
        message = (f"this client fell behind: {self.dropped} state, log and output events were dropped; "
                   "the tree that follows is the current state")
        self.dropped = 0
        return [protocol.encode(protocol.notice(message)),
                protocol.encode(protocol.Event(kind="tree", ts=time.time(), action="restored",
                                               snapshot=snapshot.current()))]

    async def _send(self, batch: list[Parcel]) -> None:
        with trio.move_on_after(STUCK_AFTER) as waited:
            await self.transport.send(batch)
        if waited.cancelled_caught:
            self.log.warning("client stuck: disconnected", seconds=STUCK_AFTER)
            self.cancel_scope.cancel()
            raise trio.BrokenResourceError(f"nothing was read for {STUCK_AFTER:g} s")
