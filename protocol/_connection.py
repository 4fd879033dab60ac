"""One end of a protocol connection, without I/O, in h11's manner.

Every process speaks through one of these: the kernel, the shell and the server
as the answering side (``SERVER``), the shell's kernel link, the server's shell
link and the client library as the side that connects (``CLIENT``). Feed it the
bytes received (:meth:`Connection.receive_data`), take what they mean with
:meth:`Connection.next_event`, and ask it for the bytes of what you send. So the
handshake and the answers to bad input are the same on every link.

The answering side's rules (``protocol/README.md``, sections 2 and 6):

- the first message must be ``hello`` (at most ``first_message_limit`` bytes,
  since nobody is trusted yet) in the version spoken here; anything else, or a
  bad first message, is refused with a fatal ``error``;
- the application then welcomes (:meth:`Connection.welcome`) or refuses
  (:meth:`Connection.refuse`) the peer; until it has decided, later messages wait;
- after the welcome the peer sends ``cmd`` messages: a second ``hello``, another
  type of message, bytes that are not msgpack and invalid messages are each
  answered with an ``error`` that is not fatal, until ``max_bad_in_a_row`` of
  them in a row, which closes the connection;
- a message begun must go on arriving: once the peer has sent nothing more of
  it for ``pause_limit`` seconds, or it is still incomplete ``message_time_limit``
  seconds after it began, it is dropped with an ``error`` (a message cut short
  would otherwise take the bytes of the next ones as its rest, and the peer
  would wait for ever). The core keeps no timer: the reader waits at most
  :meth:`Connection.receive_timeout` for bytes, then calls
  :meth:`Connection.receive_timed_out`.

:class:`Refused` is what :meth:`Connection.next_event` returns for such input:
the ``error`` to answer with. After a fatal one the connection is closed:
nothing more is taken from it, and once the fatal error is sent, nothing more
is sent.
"""
from __future__ import annotations

import collections
import enum
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

from ._codec import MAX_MESSAGE_SIZE, Decoder, encode
from ._errors import ProtocolError
from ._messages import VERSION, Cmd, Error, Event, Hello, Message, Reply, Welcome

FIRST_MESSAGE_LIMIT = 64 * 1024
"""Bytes the first message may take: a ``hello`` needs far less, and nobody is trusted yet."""
MAX_BAD_IN_A_ROW = 10
"""Bad messages in a row after which the answering side closes the connection."""
PAUSE_LIMIT = 2.0
"""Seconds a peer may send nothing in the middle of a message before the answering side drops it."""
MESSAGE_TIME_LIMIT = 30.0
"""Seconds a message may take to arrive, however it is paced, before the answering side drops it."""


class Role(enum.Enum):
    CLIENT = "client"  # connects, says hello, sends commands
    SERVER = "server"  # answers: welcome, replies, events


CLIENT = Role.CLIENT
SERVER = Role.SERVER


class State(enum.Enum):
    GREETING = "greeting"  # before the handshake: no hello yet (server), or no welcome yet (client)
    DECIDING = "deciding"  # server: hello received; the application has to welcome or refuse it
    OPEN = "open"  # greeted: commands, replies and events flow
    CLOSED = "closed"  # a fatal error was sent or received, or the peer's stream ended


class NeedData:
    """Nothing more can be taken until more bytes are received (or the application decides)."""

    def __repr__(self) -> str:
        return "NEED_DATA"


class Ended:
    """The peer's stream has ended (or the connection was closed by a fatal error)."""

    def __repr__(self) -> str:
        return "ENDED"


NEED_DATA = NeedData()
ENDED = Ended()


@dataclass(frozen=True)
class Refused:
    """Input this side refuses: ``answer`` is the ``error`` the protocol says to send back.

    The answering side sends it (in order with its other answers); the side that
    connects reports it. When ``answer.fatal`` the connection is closed.
    """

    answer: Error

    @property
    def fatal(self) -> bool:
        return self.answer.fatal


_TAKEN_AS_THEY_COME = frozenset({Event, Reply})  # by the side that connects, once welcomed
_CLIENT_SENDS = frozenset({"hello", "cmd"})
_SERVER_SENDS = frozenset({"welcome", "reply", "event", "error"})


class Connection:
    """The protocol state of one end of one connection (no I/O)."""

    def __init__(self, role: Role, *, name: str, max_message_size: int = MAX_MESSAGE_SIZE,
                 first_message_limit: int = FIRST_MESSAGE_LIMIT, max_bad_in_a_row: int = MAX_BAD_IN_A_ROW,
                 trusted: bool = False, pause_limit: float = PAUSE_LIMIT,
                 message_time_limit: float = MESSAGE_TIME_LIMIT, clock: Callable[[], float] = time.monotonic) -> None:
        self.role = role
        self.name = name  # this side, as errors name it: "seqkernel", "seqserver"...
        self.state = State.GREETING
        self.hello: Hello | None = None  # the peer's (server), or ours (client)
        self.max_message_size = max_message_size
        self._decoder = Decoder(max_size=max_message_size, trusted=trusted)  # trusted: see Decoder
        if role is SERVER:
            self._decoder.max_size = min(first_message_limit, max_message_size)
        self._received: collections.deque[Message | ProtocolError] = collections.deque()
        self._ended = False
        self._bad_in_a_row = 0
        self._max_bad = max_bad_in_a_row
        self._said_fatal = False  # this side has sent a fatal error: it sends nothing more
        self.pause_limit = pause_limit  # (the answering side's; the side that connects waits for its server)
        self.message_time_limit = message_time_limit
        self._clock = clock
        self._message_began: float | None = None  # when the message in progress began to arrive
        self._last_bytes = 0.0  # when bytes last arrived

    # -- receiving -------------------------------------------------------------------------

    def receive_data(self, data: bytes) -> None:
        """Bytes from the peer, in any pieces; ``b""`` when its stream has ended."""
        if not data:
            self._ended = True
        elif self.state is not State.CLOSED:
            items = self._decoder.feed_with_errors(data)
            self._received.extend(items)
            self._last_bytes = self._clock()
            if not self._decoder.buffered:
                self._message_began = None
            elif items or self._message_began is None:  # a message ended in these bytes: the next one began
                self._message_began = self._last_bytes

    def receive_timeout(self) -> float:
        """Seconds to wait for the peer's next bytes before calling :meth:`receive_timed_out`:
        infinite unless the answering side holds part of a message."""
        if self.role is CLIENT or self._message_began is None or self.state is State.CLOSED:
            return math.inf
        deadline = min(self._last_bytes + self.pause_limit, self._message_began + self.message_time_limit)
        return max(0.0, deadline - self._clock())

    def receive_timed_out(self) -> None:
        """Nothing came within :meth:`receive_timeout`: drop the part of a message held, and
        resynchronise; :meth:`next_event` reports it as bad input."""
        if self._message_began is None:
            return
        paused = self._last_bytes + self.pause_limit <= self._message_began + self.message_time_limit
        how = (f"then nothing more for {self.pause_limit:g} s" if paused
               else f"still incomplete after {self.message_time_limit:g} s")
        self._received.append(ProtocolError(f"incomplete message dropped: {self._decoder.abandon()} bytes "
                                            f"received, {how}"))
        self._message_began = None

    def receive_frame(self, frame: bytes | str) -> None:
        """One websocket frame from the peer: it must hold exactly one whole message, in binary."""
        if self.state is State.CLOSED:
            return
        if isinstance(frame, str):
            self._received.append(ProtocolError("text frame: send each message as one binary frame"))
            return
        items = self._decoder.feed_with_errors(frame)
        if len(items) != 1 or self._decoder.buffered:
            self._decoder.reset()
            items = [ProtocolError("a binary frame must hold exactly one whole message")]
        self._received.extend(items)

    @property
    def buffered(self) -> int:
        """Bytes of a message begun but not complete."""
        return self._decoder.buffered

    def next_event(self) -> Message | Refused | NeedData | Ended:
        """What the peer's bytes mean, in order: a message for the application, input it
        refuses (:class:`Refused`), ``NEED_DATA``, or ``ENDED``."""
        while True:
            if self.state is State.CLOSED:
                return ENDED
            if self.state is State.DECIDING or not self._received:
                return ENDED if self._ended and not self._received else NEED_DATA
            item = self._received.popleft()
            judged = self._judge_as_server(item) if self.role is SERVER else self._judge_as_client(item)
            if judged is not None:
                return judged

    def next_events(self) -> list[Message | Refused]:
        """What :meth:`next_event` would return, call after call, until it would say ``NEED_DATA`` or
        ``ENDED`` (ask it then which): a busy stream's burst in one call. Once welcomed, the side
        that connects takes replies and events as they come, so a burst of them is taken in one sweep."""
        taken: list[Message | Refused] = []
        received = self._received
        while True:
            if self.role is CLIENT and self.state is State.OPEN:
                while received and type(received[0]) in _TAKEN_AS_THEY_COME:
                    taken.append(cast(Message, received.popleft()))  # an Event or a Reply (just seen)
            event = self.next_event()
            if isinstance(event, (NeedData, Ended)):
                return taken
            taken.append(event)

    def _judge_as_server(self, item: Message | ProtocolError) -> Message | Refused | None:
        greeting = self.state is State.GREETING
        if isinstance(item, ProtocolError):
            return self._bad(f"bad hello: {item}" if greeting else str(item), fatal=greeting)
        if greeting:
            if not isinstance(item, Hello):
                return self._bad(f"send 'hello' first, not {item.type!r}", fatal=True)
            if item.version != VERSION:
                return self._bad(f"protocol version {item.version} is not supported: this {self.name} speaks "
                                 f"version {VERSION}", fatal=True)
            self.hello = item
            self.state = State.DECIDING
            return item
        if isinstance(item, Cmd):
            self._bad_in_a_row = 0
            return item
        if isinstance(item, Hello):
            return self._bad("already greeted: 'hello' is only sent once")
        return self._bad(f"unexpected {item.type!r} message: after 'hello' a client sends 'cmd' messages")

    def _judge_as_client(self, item: Message | ProtocolError) -> Message | Refused | None:
        if isinstance(item, ProtocolError):
            return self._bad(str(item))
        if isinstance(item, Error):
            if item.fatal:
                self.state = State.CLOSED
            return item
        if self.state is State.GREETING:
            if isinstance(item, Welcome):
                self.state = State.OPEN
                return item
            return self._bad(f"the peer answered 'hello' with {item.type!r}, not 'welcome'", fatal=True)
        if isinstance(item, (Reply, Event)):
            return item
        return self._bad(f"unexpected {item.type!r} message from the peer")

    def _bad(self, problem: str, fatal: bool = False) -> Refused:
        self._bad_in_a_row += 1
        if not fatal and self.role is SERVER and self._bad_in_a_row >= self._max_bad:
            problem, fatal = f"{problem}; closing the connection after {self._bad_in_a_row} bad messages in a row", True
        if fatal:
            self.state = State.CLOSED
        return Refused(Error(error=problem, fatal=fatal))

    # -- sending -----------------------------------------------------------------------

    def send(self, message: Message) -> bytes:
        """The bytes of a message this side may send now (ProtocolError otherwise).

        A client's ``hello`` starts the handshake; its commands may follow at once.
        """
        allowed = _CLIENT_SENDS if self.role is CLIENT else _SERVER_SENDS
        closed = self._said_fatal or (self.state is State.CLOSED and not isinstance(message, Error))
        if message.type not in allowed or closed:
            raise ProtocolError(f"a {self.role.value} cannot send {message.type!r} now ({self.state.value})")
        if self.role is CLIENT:
            if isinstance(message, Hello):
                if self.hello is not None:
                    raise ProtocolError("'hello' is only sent once")
                self.hello = message
            elif self.hello is None:
                raise ProtocolError("send 'hello' first")
        elif isinstance(message, Welcome):
            raise ProtocolError("welcome the peer with welcome()")
        elif self.state is not State.OPEN and not isinstance(message, Error):
            raise ProtocolError(f"nothing but an error goes to a peer not yet welcomed, not {message.type!r}")
        data = encode(message, self.max_message_size)
        if isinstance(message, Error) and message.fatal:
            self.state = State.CLOSED
            self._said_fatal = True
        return data

    def welcome(self, message: Welcome) -> bytes:
        """Accept the peer whose ``hello`` :meth:`next_event` returned: the bytes of the welcome."""
        if self.state is not State.DECIDING:
            raise ProtocolError(f"no hello waits to be welcomed ({self.state.value})")
        data = encode(message, self.max_message_size)
        self.state = State.OPEN
        self._decoder.max_size = self.max_message_size
        return data

    def refuse(self, reason: str) -> bytes:
        """Turn the peer away (a wrong token, too many clients): the bytes of a fatal error."""
        return self.send(Error(error=reason, fatal=True))
