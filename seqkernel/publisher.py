"""The kernel's outgoing buffer: everything it sends, in order, in bounded memory.

Replies, protocol errors and events are encoded when they are queued and sent by
one writer task, so the peer sees them in the order they happened (once a batch
is worth sending, the event loop's thread writes what the stream takes at once
as it queues: steps run back to back give the writer task a turn only now and
then). Events come
from the engine (synchronously, in the trio thread) and from the output capture
threads; neither may block, so queuing never waits. What keeps memory bounded
when the reader falls behind is coalescing, applied only while more than
``high_water`` bytes wait to be sent:

* a node's new ``state`` event replaces its previous one if that is still
  queued and nothing else about that node was queued after it: per node, events
  stay in order and the last (final) state is always sent;
* ``log`` and ``output`` events are dropped and counted; once the backlog is
  below ``high_water`` again, one ``notice`` event says how many were dropped.

Never coalesced nor dropped: ``error``, ``run``, ``tree``, ``dialog`` and
``notice`` events, replies and protocol errors. Replies are bounded by the reader
of commands, which waits for :meth:`wait_for_room` before taking the next one.
"""
from __future__ import annotations

import collections
import math
import os
import select
import threading
import time

import trio

import protocol
from seqkernel.records import TypedRecord

HIGH_WATER = 2 * 1024 * 1024
BATCH = 256 * 1024  # bytes handed to one send_all
SEND_AT_ONCE = 64 * 1024  # backlog the thread of the event loop writes itself as it queues (see _send_now)
FLUSH_INTERVAL = 0.001  # seconds a burst of events may be gathered before it is sent
DROPPABLE = frozenset({"log", "output"})
MAX_LOG_TEXT = 1024 * 1024  # characters of one log message; the rest is cut (output comes in 64 KiB pieces)
DIRECT_LIMIT = 64 * 1024  # backlog a thread may send itself while the event loop is blocked (less than BATCH)


def _shortened(text: str) -> str:
    return f"{text[:MAX_LOG_TEXT]}... [{len(text) - MAX_LOG_TEXT} more characters not shown]"


class _Entry:
    __slots__ = ("data", "sn")

    def __init__(self, data: bytes, sn: int | None) -> None:
        self.data = data  # None once replaced by a newer state of the same node
        self.sn = sn


class Publisher:
    """Ordered, bounded queue of encoded messages between the kernel and one writer task."""

    def __init__(self, *, high_water: int = HIGH_WATER, max_message_size: int = protocol.MAX_MESSAGE_SIZE) -> None:
        self.high_water = high_water
        self.max_message_size = max_message_size
        self._lock = threading.Lock()
        self._queue: collections.deque[_Entry] = collections.deque()
        self._size = 0
        self._replaceable_state: dict[int, _Entry] = {}
        self._dropped: collections.Counter[str] = collections.Counter()
        self._token: trio.lowlevel.TrioToken | None = None
        self._trio_thread: int | None = None
        self._writer_waiting = False
        self._wakeup = trio.Event()
        self._room = trio.Event()
        self._written = trio.lowlevel.ParkingLot()  # who waits for everything queued to be written
        self._closed = False
        self._urgent = False  # a reply or error is queued: send without holding back
        self._holding: trio.CancelScope | None = None
        self._fd: int | None = None  # the stream's descriptor: written directly, by the writer or a thread
        self._unsent = memoryview(b"")  # the rest of the batch being written (under the lock)

    # -- queuing (any thread, never blocks) --------------------------------------------

    def send(self, data: bytes) -> None:
        """Queue a reply, an error or a welcome, encoded by the connection (from the trio thread):
        never coalesced, sent at once."""
        self._queue_entry(data, None, kind=None)
        self._urgent = True
        if self._holding is not None:
            self._holding.cancel()

    def publish(self, record: dict) -> None:
        """Queue an event given as its body (``kind`` and fields; ``ts`` added if absent).

        Raises ProtocolError for a record that is not a valid event, so a
        malformed record is caught where it is made (a :class:`TypedRecord` is
        made valid, and only its size is checked).
        """
        if record.get("kind") in DROPPABLE and self._size > self.high_water and self._drop(record["kind"]):
            return  # decided before encoding: a flood costs little while it is being dropped
        if "ts" not in record:
            record = {**record, "ts": time.time()}
        if record.get("kind") == "log" and len(record.get("message") or "") > MAX_LOG_TEXT:
            record = {**record, "message": _shortened(record["message"])}
        data = protocol.encode_event(record, self.max_message_size, check=not isinstance(record, TypedRecord))
        self._queue_entry(data, record.get("sn"), kind=record["kind"])

    def publish_output(self, stream: str, text: str) -> None:
        """Queue captured output (called from the capture threads)."""
        self.publish({"kind": "output", "stream": stream, "text": text})

    def send_queued_from_thread(self) -> None:
        """Send what is queued at once, from a plain thread, while the event loop is blocked
        (the writer task cannot): the rest of a batch the writer began, then the queue.

        Nothing is done when the backlog is large or the stream full (the peer is
        not reading): then it waits for the loop, as usual.
        """
        with self._lock:
            if self._fd is not None and not self._closed and self._size <= DIRECT_LIMIT and _writable(self._fd):
                _write_blocking(self._fd, b"".join([self._unsent, *self._take_locked()]))  # (all: under a batch)
                self._unsent = memoryview(b"")

    def _drop(self, kind: str) -> bool:
        with self._lock:
            if self._size <= self.high_water:
                return False
            self._dropped[kind] += 1
            return True

    def _queue_entry(self, data: bytes, sn: int | None, *, kind: str | None) -> None:
        with self._lock:
            if self._closed:
                return
            if self._size > self.high_water:
                if kind in DROPPABLE:
                    self._dropped[kind] += 1
                    return
                if kind == "state" and (previous := self._replaceable_state.get(sn)) is not None:
                    self._size -= len(previous.data)
                    previous.data = None
            entry = _Entry(data, sn)
            self._queue.append(entry)
            self._size += len(data)
            if sn is not None:
                if kind == "state":
                    self._replaceable_state[sn] = entry
                else:
                    self._replaceable_state.pop(sn, None)  # keep that node's earlier state in place
            wake = self._writer_waiting
            self._writer_waiting = False
        if self._size >= SEND_AT_ONCE and threading.get_ident() == self._trio_thread:
            self._send_now()
        if wake:
            if threading.get_ident() == self._trio_thread:
                self._wakeup.set()
            else:
                try:
                    self._token.run_sync_soon(self._wakeup.set)
                except trio.RunFinishedError:
                    pass  # the kernel is stopping: there is no writer left to wake

    def _send_now(self) -> None:
        """Write a batch from the thread of the event loop as it queues, as much as the stream takes
        without waiting; what it does not take is left for the writer task.

        Steps that run back to back (quick asyncio steps, a ``schedule``) let the loop turn only now
        and then, and the writer task would run as seldom: the backlog would grow to the high-water
        mark and events be dropped while the reader waits for them.
        """
        with self._lock:
            if self._unsent or self._fd is None or self._closed:
                return  # the writer task is finishing a batch: what follows waits its turn
            batch = memoryview(b"".join(self._take_locked()))
            try:
                batch = batch[os.write(self._fd, batch):]
            except BlockingIOError:
                pass
            except OSError:
                pass  # the peer is gone: the writer task finds out and ends the connection
            self._unsent = batch
        if self._size <= self.high_water:
            self._room.set()

    # -- the writer side (trio) -----------------------------------------------------------

    async def wait_for_room(self) -> None:
        """Return once the backlog is below ``high_water`` (the command reader's brake)."""
        while self._size > self.high_water:
            self._room = trio.Event()
            await self._room.wait()

    async def flushed(self) -> None:
        """Return once everything queued so far has been written."""
        while self._queue or self._unsent:
            await self._written.park()

    async def run_writer(self, stream: trio.abc.SendStream, task_status=trio.TASK_STATUS_IGNORED) -> None:
        """Send queued messages, in order and in batches, until cancelled."""
        self._token = trio.lowlevel.current_trio_token()
        self._trio_thread = threading.get_ident()
        self._fd = _send_fd(stream)
        task_status.started()
        last_send = -math.inf
        while True:
            await self._hold_back(last_send + FLUSH_INTERVAL)
            batch = self._take_batch()
            if batch or self._unsent:  # (_unsent: the rest of a batch _send_now began)
                if self._fd is None:
                    await stream.send_all(batch)
                else:
                    await self._write(batch)
                last_send = trio.current_time()
                continue
            self._written.unpark_all()
            await self._wakeup.wait()

    async def _hold_back(self, until: float) -> None:
        """During a burst of events, gather them for up to FLUSH_INTERVAL into one send.

        Never delays a reply or an error (they cancel the wait), nor a backlog
        already worth a full batch, nor the first event after a quiet spell.
        """
        if self._urgent or self._size >= BATCH or trio.current_time() >= until:
            return
        with trio.CancelScope(deadline=until) as self._holding:
            await trio.sleep_forever()
        self._holding = None

    async def _write(self, batch: bytes) -> None:
        """Write a batch to the descriptor, waiting while it is full; what is left stays in ``_unsent``,
        where a thread can finish it while the event loop is blocked (see send_queued_from_thread)."""
        with self._lock:
            if batch:  # after the rest of one _send_now began, if any
                self._unsent = memoryview(b"".join([self._unsent, batch]) if self._unsent else batch)
        while True:
            with self._lock:
                try:
                    if self._unsent:
                        self._unsent = self._unsent[os.write(self._fd, self._unsent):]
                except BlockingIOError:
                    pass
                except OSError as exc:
                    raise trio.BrokenResourceError(f"cannot write to the peer: {exc}") from exc
                if not self._unsent:
                    break
            await trio.lowlevel.wait_writable(self._fd)
        await trio.lowlevel.checkpoint()

    def _take_locked(self) -> list[bytes]:
        """(holding the lock) Take up to a batch of what is queued, in order."""
        parts, taken = [], 0
        while self._queue and taken < BATCH:
            entry = self._queue.popleft()
            if entry.sn is not None and self._replaceable_state.get(entry.sn) is entry:
                del self._replaceable_state[entry.sn]
            if entry.data is None:
                continue
            parts.append(entry.data)
            taken += len(entry.data)
            self._size -= len(entry.data)
        return parts

    def _take_batch(self) -> bytes:
        with self._lock:
            parts = self._take_locked()
            self._urgent = False
            notice = self._dropped_notice() if self._size <= self.high_water else None
            if not parts and notice is None and not self._unsent:
                self._wakeup = trio.Event()
                self._writer_waiting = True
        if self._size <= self.high_water:
            self._room.set()
        if notice is not None:
            parts.append(notice)
        return b"".join(parts)

    def _dropped_notice(self) -> bytes | None:
        if not self._dropped:
            return None
        counts = ", ".join(f"{count} {kind} events" for kind, count in sorted(self._dropped.items()))
        self._dropped.clear()
        event = protocol.Event(
            kind="notice", ts=time.time(), level="WARNING",
            message=f"the reader fell behind: dropped {counts}",
        )
        return protocol.encode(event)

    def close(self) -> None:
        """Refuse further messages (the connection is gone)."""
        with self._lock:
            self._closed = True


def _send_fd(stream: trio.abc.SendStream) -> int | None:
    """The descriptor under a kernel's stream (a socket, or a pipe stapled to another), if any."""
    if isinstance(stream, trio.StapledStream):
        stream = stream.send_stream
    if isinstance(stream, trio.SocketStream):
        return stream.socket.fileno()
    if isinstance(stream, trio.lowlevel.FdStream):
        return stream.fileno()
    return None


def _writable(fd: int) -> bool:
    poller = select.poll()
    poller.register(fd, select.POLLOUT)
    return bool(poller.poll(0))


def _write_blocking(fd: int, data: bytes) -> None:
    """Write all of ``data`` to a non-blocking descriptor from a plain thread (stopping only if the peer is gone).

    Once begun, a message must be finished or the stream is corrupt, hence no timeout.
    """
    view = memoryview(data)
    poller = select.poll()
    poller.register(fd, select.POLLOUT)
    while view:
        try:
            view = view[os.write(fd, view):]
        except BlockingIOError:
            poller.poll()
        except OSError:
            return  # the peer is gone: the reader side will notice
