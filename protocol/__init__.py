"""The seq wire protocol, without I/O.

Message classes with validation, an encoder and a feedable decoder, the state of
one end of a connection, the book of commands awaiting replies, the snapshot
model every process keeps, and the command language's table: shared unchanged
by the kernel, the shell, the server and every client. The processes own the
sockets; this package owns the meaning. The specification is
``protocol/README.md``.
"""
from ._codec import MAX_MESSAGE_SIZE, Decoder, encode
from ._commands import (
    BY_NAME as COMMANDS,
    ENGINEER,
    FORGET,
    KERNEL,
    OBSERVER,
    OPERATOR,
    REPLAY,
    ROLES,
    SETTING,
    SHELL,
    WAITING_COMMANDS,
    Argument,
    Command,
    CommandLineError,
    lookup,
    split_line,
    verb,
)
from ._connection import (
    CLIENT,
    ENDED,
    FIRST_MESSAGE_LIMIT,
    MAX_BAD_IN_A_ROW,
    NEED_DATA,
    SERVER,
    Connection,
    Refused,
    Role,
    State,
)
from ._display import display_state, format_nodes, format_tree
from ._errors import ProtocolError
from ._messages import (
    EVENT_KINDS,
    LOG_LEVELS,
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
    log_level,
    notice,
)
from ._outcome import Outcome
from ._requests import Requests
from ._snapshot import RUN_ENDED, STATUSES, Snapshot, empty_snapshot, top_level, walk_nodes

__all__ = [
    "VERSION",
    "MAX_MESSAGE_SIZE",
    "FIRST_MESSAGE_LIMIT",
    "MAX_BAD_IN_A_ROW",
    "MESSAGE_TYPES",
    "EVENT_KINDS",
    "NODE_FLAGS",
    "LOG_LEVELS",
    "log_level",
    "ProtocolError",
    "Message",
    "Hello",
    "Welcome",
    "Cmd",
    "Reply",
    "Event",
    "Error",
    "from_dict",
    "notice",
    "encode",
    "Decoder",
    "Role",
    "CLIENT",
    "SERVER",
    "State",
    "Connection",
    "Refused",
    "NEED_DATA",
    "ENDED",
    "Requests",
    "Outcome",
    "Snapshot",
    "STATUSES",
    "RUN_ENDED",
    "empty_snapshot",
    "walk_nodes",
    "top_level",
    "COMMANDS",
    "WAITING_COMMANDS",
    "Command",
    "Argument",
    "CommandLineError",
    "lookup",
    "split_line",
    "verb",
    "KERNEL",
    "SHELL",
    "ROLES",
    "OBSERVER",
    "OPERATOR",
    "ENGINEER",
    "REPLAY",
    "SETTING",
    "FORGET",
    "display_state",
    "format_nodes",
    "format_tree",
]
