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
from typing import Any

import trio

BATCH = 256 * 1024  # bytes handed to one write, at most (a single larger message goes alone)

Send = Callable[[list[bytes]], Awaitable[None]]


class Outbox:
    """A queue of encoded messages, each with an optional tag the owner reads (an event's kind)."""

    def __init__(self, send: Send) -> None:
        self._send = send
        self._items: collections.deque[tuple[bytes, Any]] = collections.deque()
        self.size = 0  # bytes queued
        self._queued = trio.lowlevel.ParkingLot()  # the writer, waiting for something to send
        self._room = trio.lowlevel.ParkingLot()  # producers waiting for the queue to shrink
        self._writing = False  # a write is under way (the writer's, or an urgent one's)
        self._finished = False
        self.written_out = trio.Event()  # set when the writer has ended

    def __len__(self) -> int:
        return len(self._items)

    def put(self, data: bytes, tag: Any = None) -> None:
        """Queue one message."""
        self.put_all([(data, tag)])

    def put_all(self, items: Sequence[tuple[bytes, Any]], size: int | None = None) -> None:
        """Queue messages (bytes and tag), in order; ``size`` is their bytes, if the caller knows."""
        if self._finished:
            return
        self._items.extend(items)
        self.size += sum(len(data) for data, _ in items) if size is None else size
        self._queued.unpark()

    def discard(self, unwanted: Callable[[Any], bool]) -> int:
        """Leave out the queued messages whose tag is ``unwanted``; how many were left out."""
        kept = collections.deque(item for item in self._items if not unwanted(item[1]))
        left_out = len(self._items) - len(kept)
        if left_out:
            self._items = kept
            self.size = sum(len(data) for data, _ in kept)
            self._room.unpark_all()
        return left_out

    async def send_urgent(self, data: bytes) -> None:
        """A message that should not wait for the writer's next turn (a reply): written now when
        nothing is queued nor being written, else queued behind what waits."""
        if self._items or self._writing:
            self.put(data)
            return
        self._writing = True
        try:
            await self._send([data])
        finally:
            self._writing = False
            if self._items:
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
                while not self._items or self._writing:
                    if self._finished and not self._items:
                        return
                    await self._queued.park()
                batch: list[bytes] = []
                taken = 0
                while self._items and (not batch or taken + len(self._items[0][0]) <= BATCH):
                    data, _ = self._items.popleft()
                    batch.append(data)
                    taken += len(data)
                self.size -= taken
                self._room.unpark_all()
                batch += complete_batch()
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
