"""The one exception the protocol package raises."""
from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._messages import Message


class ProtocolError(Exception):
    """Bytes or a message that do not follow the protocol.

    Raised by message construction and validation (the text names the message
    type and the field), by :func:`protocol.encode` and by
    :meth:`protocol.Decoder.feed`. ``messages`` holds the valid messages that
    :meth:`~protocol.Decoder.feed` decoded, in order, before it met the problem,
    so that a reader loses nothing that arrived intact.
    """

    def __init__(self, message: str, *, messages: Iterable[Message] = ()) -> None:
        super().__init__(message)
        self.messages = list(messages)
