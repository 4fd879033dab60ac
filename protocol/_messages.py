"""The messages of the protocol: one class per message type, validated on construction.

Every message is a map with a ``type`` key and the fields listed in its class's
docstring. Building a message (from keywords or with :func:`from_dict`) checks
every field: a missing, unknown or wrong-typed field raises
:class:`ProtocolError` naming the message type and the field, so a bad message is
refused where it enters, never half-used later.
"""
from __future__ import annotations

import logging
import reprlib
import time
from collections.abc import ItemsView, Iterator, KeysView, Mapping, ValuesView
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from ._errors import ProtocolError

VERSION = 1

NODE_FLAGS = ("PAUSE", "SKIP")

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
"""A ``log`` event's levels, and what every ``--log-level`` option takes (``WARN`` is ``WARNING``)."""


def log_level(name: str) -> str:
    """A level name as given (any case, ``WARN`` for ``WARNING``) in its one spelling; ValueError otherwise."""
    level = {"WARN": "WARNING"}.get(name.upper(), name.upper())
    if level not in LOG_LEVELS:
        raise ValueError(f"unknown log level {_quoted(name)}: one of {', '.join(LOG_LEVELS)} (or WARN)")
    return level


def level_number(name: str) -> int:
    """The standard ``logging`` number of a level name (``WARN`` and ``WARNING`` alike); INFO for a
    name that is none (a peer's ``log`` event may carry one)."""
    try:
        return logging.getLevelName(log_level(name))
    except ValueError:
        return logging.INFO


@dataclass(frozen=True)
class Field:
    """How one field of a message is checked."""

    types: tuple[type, ...] | None  # None: any plain value (nil, bool, int, float, str, bin, list, map)
    required: bool = True
    nullable: bool = False
    choices: tuple[str, ...] = ()
    items: tuple[type, ...] | None = None  # element types of a list
    item_choices: tuple[str, ...] = ()
    _fast: frozenset[type] = field(init=False, repr=False, compare=False)  # types that need no further look
    _choice_set: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Exact types that need no further look: the common case is one set lookup.
        fast: set[type] = set()
        if self.types is not None and not self.choices and self.items is None:
            fast.update(self.types)
        if self.nullable:
            fast.add(type(None))
        object.__setattr__(self, "_fast", frozenset(fast))
        object.__setattr__(self, "_choice_set", frozenset(self.choices))

    def problem(self, value: Any) -> str | None:
        """What is wrong with ``value`` for this field, or None."""
        if type(value) in self._fast:
            return None
        if type(value) is str and value in self._choice_set:
            return None
        if value is None and self.nullable:
            return None
        if self.types is None:
            return None if _is_plain(value) else "holds a value that is not plain data (e.g. an ext type)"
        if not _is_instance(value, self.types):
            return f"must be {_type_names(self.types, self.nullable)}, not {_describe(value)}"
        if self.choices and value not in self.choices:
            return f"must be one of {', '.join(self.choices)}; got {_quoted(value)}"
        for index, item in enumerate(value if self.items is not None else ()):
            if self.items is not None and not _is_instance(item, self.items):
                return f"item {index} must be {_type_names(self.items, False)}, not {_describe(item)}"
            if self.item_choices and item not in self.item_choices:
                return f"item {index} must be one of {', '.join(self.item_choices)}; got {_quoted(item)}"
        return None


def _is_instance(value: Any, types: tuple[type, ...]) -> bool:
    # bool is an int in Python but not on the wire: never accept it for a number.
    if isinstance(value, bool) and bool not in types:
        return False
    return isinstance(value, types)


_PLAIN_SCALARS = (type(None), bool, int, float, str, bytes)


def _is_plain(value: Any) -> bool:
    """True for data made only of msgpack's plain types (iterative: nesting may be deep)."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, dict):
            if not all(isinstance(key, str) for key in item):
                return False
            pending.extend(item.values())
        elif not isinstance(item, _PLAIN_SCALARS):
            return False
    return True


def _type_names(types: tuple[type, ...], nullable: bool) -> str:
    names = {bool: "a boolean", int: "an integer", float: "a number", str: "a string", list: "a list", dict: "a map"}
    words = [names[t] for t in types if not (t is int and float in types)]
    if nullable:
        words.append("nil")
    return " or ".join(words)


def _describe(value: Any) -> str:
    return "nil" if value is None else f"{type(value).__name__} {_quoted(value)}"


def _short_repr() -> reprlib.Repr:
    shortened = reprlib.Repr()
    shortened.maxstring = shortened.maxother = 40
    shortened.maxlist = shortened.maxdict = 4
    shortened.maxlevel = 2
    return shortened


_quoted = _short_repr().repr
"""A value a peer sent, as error texts (and logs) quote it: cut short, however long or deep it was."""


INT = (int,)
NUMBER = (int, float)
STR = (str,)
BOOL = (bool,)
LIST = (list,)
MAP = (dict,)


def _optional(types: tuple[type, ...] | None, **kw: Any) -> Field:
    return Field(types, required=False, **kw)


class Schema(dict):
    """The fields of a message (name -> Field), with the names it requires: checking a
    message is then a few set operations and one look per field it has."""

    def __init__(self, fields: dict[str, Field]) -> None:
        super().__init__(fields)
        self.required = tuple(name for name, field in fields.items() if field.required)
        self.required_set = frozenset(self.required)
        self.fast = {name: field._fast for name, field in fields.items()}


if TYPE_CHECKING:
    _ReadOnlyMap = Mapping[str, Any]
else:
    _ReadOnlyMap = object  # Message is registered as a Mapping below instead: see there


class Message(_ReadOnlyMap):
    """A protocol message: its fields are attributes (absent optional fields read as None), and it
    reads like the read-only map of its fields (without ``type``), so code written for an event's
    body takes the received event itself, and can pass it on as it came."""

    type: ClassVar[str]
    fields: ClassVar[Schema]

    __slots__ = ("_values", "_wire")
    _values: dict[str, Any]
    _wire: bytes | None

    def __init__(self, **values: Any) -> None:
        self._values = self._checked(values)
        self._wire = None  # the bytes a decoded message came in: sent on as they are

    @classmethod
    def _checked(cls, values: dict) -> dict:
        schema = cls._schema_for(values)
        if not values.keys() <= schema.keys():
            unknown = next(name for name in values if name not in schema)
            raise ProtocolError(f"{cls.type!r} message: unknown field {_quoted(unknown)}")
        fast = schema.fast
        for name, value in values.items():
            if type(value) not in fast[name] and (problem := schema[name].problem(value)) is not None:
                raise ProtocolError(f"{cls.type!r} message: field {name!r} {problem}")
        if not values.keys() >= schema.required_set:
            missing = next(name for name in schema.required if name not in values)
            raise ProtocolError(f"{cls.type!r} message: missing field {missing!r}")
        cls._check_together(f"{cls.type!r} message", values)
        return values  # a fresh dict already: the keyword arguments, or the copy from_dict made

    @classmethod
    def _schema_for(cls, values: dict) -> Schema:
        return cls.fields

    @classmethod
    def _check_together(cls, where: str, values: dict) -> None:
        """Rules that tie fields together; the default has none."""

    def __getattr__(self, name: str) -> Any:
        # Every field is a property (see _field below): only names that are no field come here.
        raise AttributeError(f"{self.type!r} message has no field {name!r}")

    def to_dict(self) -> dict:
        """The message as the plain map that goes on the wire."""
        return {"type": self.type, **self._values}

    def __getitem__(self, name: str) -> Any:
        return self._values[name]

    def __contains__(self, name: object) -> bool:
        return name in self._values

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def get(self, name: str, default: Any = None) -> Any:
        return self._values.get(name, default)

    def keys(self) -> KeysView[str]:
        return self._values.keys()

    def items(self) -> ItemsView[str, Any]:
        return self._values.items()

    def values(self) -> ValuesView[Any]:
        return self._values.values()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Message):
            return NotImplemented
        return self.type == other.type and self._values == other._values

    __hash__ = None  # type: ignore[assignment]  # messages hold lists and maps

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in self._values.items())
        return f"{type(self).__name__}({fields})"


class Hello(Message):
    """First message of the side that connects.

    Fields: ``version`` (int, the protocol version it speaks), ``client`` (str, a
    name for logs, e.g. ``"seqshell"``), ``token`` (str, optional: the access
    token, when the other side requires one), ``name`` (str, optional: the
    sequence component or sequencer the client means to reach, as it found it in
    the location service; a server that does not hold that name refuses it).
    """

    type = "hello"
    fields = Schema({"version": Field(INT), "client": Field(STR), "token": _optional(STR), "name": _optional(STR)})


class Welcome(Message):
    """Answer to ``hello``.

    Fields: ``version`` (int), ``server`` (str, identity for humans, e.g.
    ``"seqkernel 0.1.0 pid 123"``), ``snapshot`` (map: the loaded tree and its
    states, so a late joiner sees what everyone sees), ``role`` (str, optional: what
    the client's token lets it do, ``observer``, ``operator`` or ``engineer``; a
    seqserver says it).
    """

    type = "welcome"
    fields = Schema({"version": Field(INT), "server": Field(STR), "snapshot": Field(MAP),
                     "role": _optional(STR, choices=("observer", "operator", "engineer"))})


class Cmd(Message):
    """A command line to execute.

    Fields: ``id`` (int, chosen by the sender, echoed in the reply), ``line``
    (str, one line of the kernel's command language).
    """

    type = "cmd"
    fields = Schema({"id": Field(INT), "line": Field(STR)})


class Reply(Message):
    """The outcome of one ``cmd``.

    Fields: ``id`` (int, the command's), ``ok`` (bool), ``output`` (str, text to
    show, may be empty), ``error`` (str, present exactly when ``ok`` is false),
    ``data`` (any value, optional: machine-readable result, e.g. a snapshot).
    """

    type = "reply"
    fields = Schema({
        "id": Field(INT),
        "ok": Field(BOOL),
        "output": Field(STR),
        "error": _optional(STR),
        "data": _optional(None),
    })

    @classmethod
    def _check_together(cls, where: str, values: dict) -> None:
        if values["ok"] and "error" in values:
            raise ProtocolError(f"{where}: field 'error' is only allowed when 'ok' is false")
        if not values["ok"] and "error" not in values:
            raise ProtocolError(f"{where}: missing field 'error' (required when 'ok' is false)")


class Error(Message):
    """A protocol-level problem not tied to a command (bad bytes, bad message).

    Fields: ``error`` (str, what was wrong), ``fatal`` (bool: true when the
    sender closes the connection after it).
    """

    type = "error"
    fields = Schema({"error": Field(STR), "fatal": Field(BOOL)})


EVENT_KINDS: dict[str, dict[str, Field]] = {
    "state": {
        "sn": Field(INT),
        "id": Field(STR),
        "name": Field(STR),
        "state": Field(STR),
        "flags": Field(LIST, items=STR, item_choices=NODE_FLAGS),
    },
    "tree": {
        "action": Field(STR, choices=("loaded", "reset", "cleared", "restored", "inserted", "moved", "removed",
                                      "replaced", "held")),
        "snapshot": _optional(MAP),
        "sn": _optional(INT),
        "sns": _optional(LIST, items=INT),
        "parent": _optional(INT),
        "index": _optional(INT),
        "nodes": _optional(LIST, items=MAP),
        "obs": _optional(LIST, items=MAP),
        "modules": _optional(LIST, items=STR),
        "held": _optional(BOOL),
    },
    "run": {"status": Field(STR, choices=("running", "finished", "error", "paused", "aborted"))},
    "log": {
        "level": Field(STR),
        "logger": Field(STR),
        "message": Field(STR),
        "sn": Field(INT, nullable=True),
    },
    "output": {"stream": Field(STR, choices=("stdout", "stderr")), "text": Field(STR)},
    "error": {
        "sn": Field(INT, nullable=True),
        "id": Field(STR, nullable=True),
        "name": Field(STR, nullable=True),
        "exception": Field(STR),
        "traceback": Field(STR),
        "file": Field(STR, nullable=True),
        "line": Field(INT, nullable=True),
    },
    "dialog": {
        "action": Field(STR, choices=("request", "resolved")),
        "sn": Field(INT),
        "name": Field(STR),
        "description": Field(STR),
        "condition_label": Field(STR),
        "step_label": Field(STR),
        "answer": _optional(STR, choices=("perform", "stop")),
    },
    "notice": {"level": Field(STR), "message": Field(STR)},
    "directory": {
        "change": Field(STR, choices=("listed", "registered", "changed", "removed", "unreachable", "reachable")),
        "registry": Field(STR),
        "entries": _optional(LIST, items=MAP),
        "entry": _optional(MAP),
        "why": _optional(STR),
    },
}

# The fields each change of a directory event carries besides change and registry, and no others.
DIRECTORY_FIELDS = {
    "listed": ("entries",),
    "registered": ("entry",),
    "changed": ("entry",),
    "removed": ("entry", "why"),
    "unreachable": ("why",),
    "reachable": (),
}

TREE_ACTIONS: dict[str, tuple[str, ...]] = {
    "loaded": ("snapshot",),
    "reset": ("snapshot",),
    "cleared": ("snapshot",),
    "restored": ("snapshot",),
    "inserted": ("parent", "index", "nodes", "obs", "modules"),
    "moved": ("sn", "parent", "index", "obs"),
    "removed": ("sns", "obs", "modules"),
    "replaced": ("sn", "nodes", "obs", "modules"),
    "held": ("held",),
}
"""The fields a ``tree`` event carries for each action: the whole snapshot, or what an edit changed."""

_EVENT_COMMON = Schema({"kind": Field(STR, choices=tuple(EVENT_KINDS)), "ts": Field(NUMBER)})
_EVENT_SCHEMAS = {kind: Schema({**_EVENT_COMMON, **fields}) for kind, fields in EVENT_KINDS.items()}


class Event(Message):
    """Something that happened, pushed without being asked for.

    Fields: ``kind`` (str, one of :data:`EVENT_KINDS`), ``ts`` (number, Unix
    time in seconds), and the fields of that kind (see ``protocol/README.md``).
    """

    type = "event"
    fields = _EVENT_COMMON

    @classmethod
    def _schema_for(cls, values: dict) -> Schema:
        kind = values.get("kind")
        if not isinstance(kind, str):
            return _EVENT_COMMON  # the check of 'kind' itself reports the problem
        return _EVENT_SCHEMAS.get(kind, _EVENT_COMMON)

    @classmethod
    def _check_together(cls, where: str, values: dict) -> None:
        if values["kind"] == "tree":
            fields = TREE_ACTIONS[values["action"]]
            missing = next((name for name in fields if name not in values), None)
            if missing is not None:
                raise ProtocolError(f"{where}: missing field {missing!r} (required in a tree event {values['action']!r})")
            extra = next((name for name in values if name not in fields and name not in ("kind", "ts", "action")),
                         None)
            if extra is not None:
                raise ProtocolError(f"{where}: field {extra!r} is not part of a tree event {values['action']!r}")
        if values["kind"] == "directory":
            expected = DIRECTORY_FIELDS[values["change"]]
            if set(expected) != values.keys() & {"entries", "entry", "why"}:
                carried = " and ".join(repr(name) for name in expected) or "none of 'entries', 'entry', 'why'"
                raise ProtocolError(f"{where}: a {values['change']} directory event carries {carried}")
        if values["kind"] == "dialog":
            resolved = values["action"] == "resolved"
            if resolved and "answer" not in values:
                raise ProtocolError(f"{where}: missing field 'answer' (required in a resolved dialog)")
            if not resolved and "answer" in values:
                raise ProtocolError(f"{where}: field 'answer' is only allowed in a resolved dialog")


def notice(message: str, level: str = "WARNING") -> Event:
    """A ``notice`` event (something about the link itself: a kernel that died, a slow client...), now."""
    return Event(kind="notice", ts=time.time(), level=level, message=message)


# A Mapping by registration, not by inheritance: a subclass of an ABC would send every ``isinstance``
# against a message class through ABCMeta, some 5 times slower, and each process tests every event so.
Mapping.register(Message)

MESSAGE_TYPES: dict[str, type[Message]] = {cls.type: cls for cls in (Hello, Welcome, Cmd, Reply, Event, Error)}


def _field(name: str) -> property:
    return property(lambda message: message._values.get(name), doc=f"the {name!r} field (None when absent)")


# Each field a message may have is a property: reading ``event.kind`` is a dict look-up, not the
# failed attribute search and ``__getattr__`` call it would be otherwise (events are the hot path).
for _cls in MESSAGE_TYPES.values():
    _names = set(_cls.fields).union(*(kind_fields for kind_fields in EVENT_KINDS.values())) if _cls is Event \
        else set(_cls.fields)
    for _name in _names:
        setattr(_cls, _name, _field(_name))


def from_trusted_dict(data: dict) -> Message:
    """The message of a decoded map that its sender made to the schema (one of seq's own processes): made
    without checking it again, taking the map as it is; a map that is no message is still refused."""
    kind = data.get("type")
    cls = MESSAGE_TYPES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        return from_dict(data)
    del data["type"]
    message = cls.__new__(cls)
    message._values = data
    message._wire = None
    return message


def from_dict(data: Any) -> Message:
    """Validate a decoded map and return its message; ProtocolError otherwise."""
    if not isinstance(data, dict):
        raise ProtocolError(f"a message must be a map, not {_describe(data)}")
    kind = data.get("type")
    if "type" not in data:
        raise ProtocolError("message without a 'type' field")
    cls = MESSAGE_TYPES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise ProtocolError(f"unknown message type {_quoted(kind)}; known: {', '.join(MESSAGE_TYPES)}")
    message = cls.__new__(cls)
    message._values = cls._checked({k: v for k, v in data.items() if k != "type"})
    message._wire = None
    return message
