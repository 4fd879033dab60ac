"""Encoded messages on their way to one peer, in order, written by one task in batches.

The shell queues its replies and the kernel's events for the server here, the
server each client's messages. Queuing never blocks and never yields to the
scheduler, so a burst of events is queued at once and leaves in one write. The
queue is measured in bytes; what to do when it grows is the owner's choice:
wait for room (the shell, which then reads the kernel more slowly), leave out
what can be left out (:meth:`Outbox.discard`: the server, for a client that
reads slowly), or give up on the peer.
"""
from __future__ import annotations

import collections
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, NamedTuple

import trio

BATCH = 256 * 1024  # bytes handed to one write, at most (a single larger parcel goes alone)


class Parcel(NamedTuple):
    """Messages queued as one (a burst of events): their bytes back to back, which a byte stream
    writes as they are, and each message's own bytes and tag, for a transport that frames
    messages one by one and for :meth:`Outbox.discard`. A server queues one parcel for every
    client, so what a burst costs it per client does not grow with the burst."""

    data: bytes
    messages: Sequence[tuple[bytes, Any]]

    @classmethod
    def of(cls, messages: Sequence[tuple[bytes, Any]]) -> Parcel:
        return cls(b"".join(data for data, _ in messages), messages)

    @classmethod
    def one(cls, data: bytes, tag: Any = None) -> Parcel:
        return cls(data, ((data, tag),))


Send = Callable[[list[Parcel]], Awaitable[None]]


def wire_bytes(batch: list[Parcel]) -> bytes:
    """A batch as a byte stream carries it: its messages back to back."""
    return b"".join(parcel.data for parcel in batch)


class Outbox:
    """A queue of encoded messages in parcels, each message with an optional tag the owner reads
    (an event's kind)."""

    def __init__(self, send: Send) -> None:
        self._send = send
        self._parcels: collections.deque[Parcel] = collections.deque()
        self.size = 0  # bytes queued
        self._queued = trio.lowlevel.ParkingLot()  # the writer, waiting for something to send
        self._room = trio.lowlevel.ParkingLot()  # producers waiting for the queue to shrink
        self._writing = False  # a write is under way (the writer's, or an urgent one's)
        self._finished = False
        self.written_out = trio.Event()  # set when the writer has ended

    def __bool__(self) -> bool:
        """Whether anything waits to be written."""
        return bool(self._parcels)

    def put(self, data: bytes, tag: Any = None) -> None:
        """Queue one message."""
        self.put_parcel(Parcel.one(data, tag))

    def put_parcel(self, parcel: Parcel) -> None:
        """Queue messages that leave together, in order."""
        if self._finished:
            return
        self._parcels.append(parcel)
        self.size += len(parcel.data)
        self._queued.unpark()

    def discard(self, unwanted: Callable[[Any], bool]) -> int:
        """Leave out the queued messages whose tag is ``unwanted``; how many were left out."""
        kept_parcels: collections.deque[Parcel] = collections.deque()
        left_out = 0
        for parcel in self._parcels:
            kept = [message for message in parcel.messages if not unwanted(message[1])]
            left_out += len(parcel.messages) - len(kept)
            if len(kept) == len(parcel.messages):
                kept_parcels.append(parcel)
            elif kept:
                kept_parcels.append(Parcel.of(kept))
        if left_out:
            self._parcels = kept_parcels
            self.size = sum(len(parcel.data) for parcel in kept_parcels)
            self._room.unpark_all()
        return left_out

    async def send_urgent(self, data: bytes) -> None:
        """A message that should not wait for the writer's next turn (a reply): written now when
        nothing is queued nor being written, else queued behind what waits."""
        if self._parcels or self._writing:
            self.put(data)
            return
        self._writing = True
        try:
            await self._send([Parcel.one(data)])
        finally:
            self._writing = False
            if self._parcels:
                self._queued.unpark()

    async def wait_for_room(self, limit: int) -> None:
        """Return once at most ``limit`` bytes are queued."""
        while self.size > limit:
            await self._room.park()

    async def run_writer(self, complete_batch: Callable[[], list[bytes]] = list) -> None:
        """Write what is queued, a batch per turn, until :meth:`finish` and all is written.

        ``complete_batch`` may add messages of the owner's at the end of each batch.
        Raises what the sending raises (trio.BrokenResourceError once the peer has gone).
        """
        try:
            while True:
                while not self._parcels or self._writing:
                    if self._finished and not self._parcels:
                        return
                    await self._queued.park()
                batch: list[Parcel] = []
                taken = 0
                while self._parcels and (not batch or taken + len(self._parcels[0].data) <= BATCH):
                    parcel = self._parcels.popleft()
                    batch.append(parcel)
                    taken += len(parcel.data)
                self.size -= taken
                self._room.unpark_all()
                batch += map(Parcel.one, complete_batch())
                self._writing = True
                try:
                    await self._send(batch)
                finally:
                    self._writing = False
        finally:
            self.written_out.set()

    def finish(self) -> None:
        """Nothing more will be queued: the writer ends once the rest is written."""
        self._finished = True
        self._queued.unpark()
