"""The seq wire protocol, without I/O.

Message classes with validation, an encoder and a feedable decoder, shared
unchanged by the kernel, the shell, the server and every client. The processes
own the sockets; this package owns the meaning. The specification is
``protocol/README.md``.
"""
from ._codec import MAX_MESSAGE_SIZE, Decoder, encode
from ._commands import WAITING_COMMANDS
from ._display import display_state, format_nodes, format_tree
from ._errors import ProtocolError
from ._messages import (
    EVENT_KINDS,
    MESSAGE_TYPES,
    NODE_FLAGS,
    VERSION,
    Cmd,
    Error,
    Event,
    Hello,
    Message,
    Reply,
    Welcome,
    from_dict,
)

__all__ = [
    "VERSION",
    "MAX_MESSAGE_SIZE",
    "MESSAGE_TYPES",
    "EVENT_KINDS",
    "NODE_FLAGS",
    "WAITING_COMMANDS",
    "ProtocolError",
    "Message",
    "Hello",
    "Welcome",
    "Cmd",
    "Reply",
    "Event",
    "Error",
    "from_dict",
    "encode",
    "Decoder",
    "display_state",
    "format_nodes",
    "format_tree",
]
