"""What waits to be sent to one client, and what is dropped when the client falls behind.

Every message for a client goes through its :class:`Client` queue, written out
in batches by one writer task. Events are offered to every client's queue at
once, as the bytes they were received in (an event is encoded once, however
many clients get it); while a client has ``queue_limit`` messages waiting, the
events a fresh snapshot supersedes (``state``, ``log``, ``output``) are dropped
for it, and once it has read its queue it is resynchronised: a ``notice`` saying
what it missed, then a ``tree`` event (action ``restored``) with the current
snapshot. Everything else is kept.
"""
from __future__ import annotations

import collections
import time
from typing import TYPE_CHECKING

import structlog
import trio

import protocol

if TYPE_CHECKING:
    from seqserver.server import Transport

log = structlog.get_logger("seqserver")

BATCH = 512  # messages written to a client at once
# Events a client that fell behind can do without: the fresh snapshot it gets restates the states,
# and log and output lines are counted in the notice. Every other kind is always delivered.
SUPERSEDED_BY_SNAPSHOT = frozenset({"state", "log", "output"})
HARD_LIMIT_FACTOR = 4  # a client with this many times queue_limit messages waiting is disconnected


class Outgoing:
    """One message on its way to clients, as bytes: encoded once however many clients get it."""

    __slots__ = ("encoded", "droppable")

    def __init__(self, encoded: bytes, droppable: bool = False) -> None:
        self.encoded = encoded
        self.droppable = droppable  # an event a fresh snapshot supersedes (see SUPERSEDED_BY_SNAPSHOT)

    @classmethod
    def event(cls, event: protocol.Event) -> Outgoing:
        return cls(protocol.encode(event), droppable=event.kind in SUPERSEDED_BY_SNAPSHOT)


class Client:
    """A connected client: its transport, its end of the protocol, and its queue of outgoing messages."""

    def __init__(self, transport: Transport, connection: protocol.Connection, name: str, queue_limit: int) -> None:
        self.transport = transport
        self.connection = connection
        self.name = name
        self.log = log.bind(peer=transport.peer, client=name)
        self._queue_limit = queue_limit
        self._queue: collections.deque[Outgoing] = collections.deque()
        self._queued = trio.lowlevel.ParkingLot()  # where the writer waits for messages
        self._finished = False
        self.dropped = 0  # events dropped since the queue last overflowed
        self.cancel_scope = trio.CancelScope()  # ends the client's connection

    def post(self, message: protocol.Message) -> None:
        """Queue a message that must arrive (a reply, an error)."""
        self.post_encoded(self.connection.send(message))

    def post_encoded(self, data: bytes) -> None:
        """Queue the bytes of a message that must arrive (the welcome)."""
        self._put([Outgoing(data)])

    def offer(self, events: list[Outgoing]) -> None:
        """Queue events; while the client is too far behind, drop those a snapshot supersedes."""
        if not self.dropped and len(self._queue) + len(events) < self._queue_limit:
            self._put(events)  # the whole burst at once, while the client keeps up
            return
        for event in events:
            self._offer_one(event)

    def _offer_one(self, event: Outgoing) -> None:
        queued = len(self._queue)
        if event.droppable and (self.dropped or queued >= self._queue_limit):
            if not self.dropped:
                self.log.warning("client too slow: dropping its state, log and output events until it catches up",
                                 queued=queued)
            self.dropped += 1
        elif queued >= self._queue_limit * HARD_LIMIT_FACTOR:
            self.log.warning("client far too slow: disconnected", queued=queued)
            self.cancel_scope.cancel()
        else:
            self._put([event])

    def _put(self, items: list[Outgoing]) -> None:
        if not self._finished:
            was_empty = not self._queue
            self._queue.extend(items)
            if was_empty:  # the writer may be waiting for these
                self._queued.unpark()

    def finish(self) -> None:
        """No more messages: the writer ends once the queue is delivered."""
        self._finished = True
        self._queued.unpark()

    async def next_batch(self, snapshot: protocol.Snapshot) -> list[bytes]:
        """The queued messages (waiting for one), then a resynchronisation if events were dropped.

        Returns an empty list once the queue is finished and delivered.
        """
        while not self._queue and not self._finished:
            await self._queued.park()
        batch = [self._queue.popleft().encoded for _ in range(min(BATCH, len(self._queue)))]
        if self.dropped and not self._queue:
            # Caught up: the snapshot taken now is followed by every later event.
            self.log.warning("client resynchronised", dropped=self.dropped)
            message = (f"this client fell behind: {self.dropped} state, log and output events were dropped; "
                       "the tree that follows is the current state")
            batch.append(protocol.encode(protocol.notice(message)))
            batch.append(protocol.encode(protocol.Event(kind="tree", ts=time.time(), action="restored",
                                                        snapshot=snapshot.current())))
            self.dropped = 0
        return batch
