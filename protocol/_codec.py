"""Bytes to messages and back, without I/O.

Messages are msgpack maps sent back to back with no length prefix: msgpack is
self-delimiting, so the receiver feeds whatever bytes arrive to a streaming
``msgpack.Unpacker`` and takes out every complete map. On a websocket each binary
frame holds exactly one map.
"""
from __future__ import annotations

import threading

import msgpack

from ._errors import ProtocolError
from ._messages import Event, Message, from_dict, from_trusted_dict

MAX_MESSAGE_SIZE = 16 * 1024 * 1024
"""Default limit on the encoded size of one message, in bytes."""

_MAP_HEADERS = frozenset([*range(0x80, 0x90), 0xDE, 0xDF])

_packers = threading.local()  # a Packer per thread: reused, it packs in half the time packb takes


def _pack(data: dict) -> bytes:
    packer = getattr(_packers, "packer", None)
    if packer is None:
        packer = _packers.packer = msgpack.Packer(use_bin_type=True)
    return packer.pack(data)


def encode(message: Message, max_size: int = MAX_MESSAGE_SIZE) -> bytes:
    """The wire bytes of one message; ProtocolError if it exceeds ``max_size``."""
    if not isinstance(message, Message):
        raise ProtocolError(f"only protocol messages can be encoded, not {type(message).__name__}")
    data = message._wire  # a message passed on as it was received is not encoded again
    if data is None:
        data = _pack(message.to_dict())
    return _within(message.type, data, max_size)


def encode_event(body: dict, max_size: int = MAX_MESSAGE_SIZE, *, check: bool = True) -> bytes:
    """The wire bytes of the event with this body (``kind``, ``ts`` and the fields of that kind),
    checked as ``Event(**body)`` checks it, without building the message: what a kernel
    publishes, tens of thousands of events a run, takes some 30% less time this way.

    ``check=False`` is for a body its builder makes to the schema by construction, and a test
    holds to it (the kernel's state and task records): packed as it is, in a third of the time. Only the
    size is checked; a receiver that checks what it is sent would refuse a body that is wrong."""
    return _within(Event.type, _pack({"type": Event.type, **(Event._checked(body) if check else body)}), max_size)


def _within(message_type: str, data: bytes, max_size: int) -> bytes:
    if len(data) > max_size:
        raise ProtocolError(f"{message_type!r} message of {len(data)} bytes exceeds the limit of {max_size} bytes")
    return data


_EXPLANATIONS = {
    msgpack.FormatError: "bytes that are not msgpack",
    msgpack.StackError: "values nested too deeply",
}


def _refuse_ext(code: int, data: bytes) -> None:
    raise ValueError(f"msgpack ext type {code} is not used by this protocol")


class Decoder:
    """Turns a byte stream into validated messages.

    Feed it bytes as they arrive, in chunks of any size; it returns the messages
    completed so far and keeps partial ones buffered, never more than
    ``max_size`` bytes. ``max_size`` may be lowered and raised again (up to its
    first value) between feeds: an answering side takes a first message of a
    few kilobytes only. :meth:`feed` raises :class:`ProtocolError` and nothing
    else.

    ``trusted``: the peer is one of seq's own processes, which checked each
    message when it made it or built it to the schema (a kernel, the shell
    that runs it): messages are made without checking every field again, so
    that an event is checked at most once however many processes it crosses.

    Recovery after a problem:

    * a well-formed map that is not a valid message (unknown type, missing or
      wrong field) is skipped exactly; decoding goes on with the next message;
    * bytes that are not msgpack, a top-level value that is not a map, or a
      message larger than ``max_size`` leave the stream out of step: the decoder
      drops what it holds and resynchronises at the next chunk fed to it that
      starts with a map (chunks starting with anything else are dropped too).
      On a websocket every frame is such a chunk.
    * a message cut short is indistinguishable from one still arriving: the
      bytes sent after it are taken as its rest. Only time tells them apart, so
      the owner of the stream decides when to give up on it (:meth:`abandon`,
      see :class:`protocol.Connection`); the decoder then resynchronises as above.
    """

    def __init__(self, max_size: int = MAX_MESSAGE_SIZE, *, trusted: bool = False) -> None:
        if max_size < 1:
            raise ValueError("max_size must be positive")
        self.max_size = max_size
        self._make = from_trusted_dict if trusted else from_dict
        self._capacity = max_size  # what the unpacker is made to hold
        self._inbox = bytearray()  # bytes received but not yet given to the unpacker
        self._resynchronising = False
        self._restart()

    def _restart(self) -> None:
        self._unpacker = msgpack.Unpacker(
            raw=False, strict_map_key=True, max_buffer_size=self._capacity, ext_hook=_refuse_ext
        )
        self._fed = 0  # bytes given to the unpacker
        self._boundary = 0  # stream offset where the message being received starts
        self._window = bytearray()  # what was given to the unpacker, from stream offset _window_start on
        self._window_start = 0

    def _lose_step(self, reason: str, decoded: list[Message]) -> ProtocolError:
        self._resynchronise()
        return ProtocolError(reason, messages=decoded)

    def _resynchronise(self) -> None:
        """Drop what is held; take nothing until a chunk starts with a map."""
        self._inbox.clear()
        self._restart()
        self._resynchronising = True

    def abandon(self) -> int:
        """Drop the message in progress, whose rest is not coming, and resynchronise (see above);
        returns the bytes dropped."""
        dropped = self.buffered
        self._resynchronise()
        return dropped

    def reset(self) -> None:
        """Drop whatever is buffered: the next byte fed starts a message (a websocket's next frame)."""
        self._inbox.clear()
        self._restart()
        self._resynchronising = False

    @property
    def buffered(self) -> int:
        """Bytes held for a message not yet complete (at most ``max_size`` once fed)."""
        return len(self._inbox) + self._fed - self._boundary

    def feed(self, data: bytes) -> list[Message]:
        """Add received bytes; return the messages now complete, in order.

        On a bad message, raises ProtocolError carrying in ``messages`` those
        decoded before it; anything buffered after it stays buffered, so call
        ``feed(b"")`` to carry on decoding.
        """
        if self._resynchronising and data:
            if data[0] not in _MAP_HEADERS:
                return []
            self._resynchronising = False
        self._inbox += data
        decoded: list[Message] = []
        while True:
            try:
                # (the loop every received message takes, hence its locals)
                unpacker, window, make, append = self._unpacker, self._window, self._make, decoded.append
                end = self._boundary - self._window_start  # of the last message taken, in the window
                for item in unpacker:
                    start, end = end, unpacker.tell() - self._window_start
                    self._boundary = end + self._window_start
                    if type(item) is not dict:
                        raise self._lose_step(
                            f"malformed data: expected a message (a map), got {type(item).__name__}", decoded
                        )
                    try:
                        message = make(item)
                    except ProtocolError as exc:
                        raise ProtocolError(str(exc), messages=decoded) from None
                    message._wire = bytes(window[start:end])
                    append(message)
                del window[:end]
                self._window_start = self._boundary
            except ProtocolError:
                raise
            except Exception as exc:  # msgpack reports bad bytes with several exception types
                detail = _EXPLANATIONS.get(type(exc)) or str(exc)
                raise self._lose_step(f"malformed data: {detail}", decoded) from None
            if not self._inbox:
                return decoded
            room = self.max_size - (self._fed - self._boundary)
            if room <= 0:
                raise self._lose_step(f"message larger than the limit of {self.max_size} bytes", decoded)
            if len(self._inbox) <= room:
                chunk = bytes(self._inbox)
                self._inbox.clear()
            else:
                chunk = bytes(self._inbox[:room])
                del self._inbox[:room]
            self._unpacker.feed(chunk)
            self._window += chunk
            self._fed += len(chunk)

    def feed_with_errors(self, data: bytes) -> list[Message | ProtocolError]:
        """Like :meth:`feed`, but carry on past every problem.

        Returns the messages and the errors (as ProtocolError instances, not
        raised) in the order they occurred in the stream: what a reader that
        reports bad input and keeps serving needs.
        """
        results: list[Message | ProtocolError] = []
        while True:
            try:
                results.extend(self.feed(data))
                return results
            except ProtocolError as exc:
                results.extend(exc.messages)
                exc.messages = []
                results.append(exc)
                data = b""
