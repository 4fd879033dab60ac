"""Hypothesis strategies for valid protocol messages, derived from the message schemas."""
import dataclasses

from hypothesis import strategies as st

import protocol
from protocol._messages import DIRECTORY_FIELDS, Field

plain_scalars = st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1) | st.floats(allow_nan=False) | st.text() | st.binary()
plain_values = st.recursive(
    plain_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
_BY_TYPE = {
    int: st.integers(-(2**63), 2**64 - 1),
    float: st.floats(allow_nan=False),
    str: st.text(max_size=40),
    bool: st.booleans(),
    dict: st.dictionaries(st.text(max_size=8), plain_values, max_size=4),
}


def value_for(field: Field):
    if field.types is None:
        strategy = plain_values
    elif field.choices:
        strategy = st.sampled_from(field.choices)
    elif field.items is not None:
        element = st.sampled_from(field.item_choices) if field.item_choices else _BY_TYPE[field.items[0]]
        strategy = st.lists(element, max_size=3)
    else:
        strategy = st.one_of(*(_BY_TYPE[t] for t in field.types))
    return st.none() | strategy if field.nullable else strategy


def fields_for(schema: dict[str, Field], fixed: dict | None = None):
    fixed = fixed or {}
    required = {name: value_for(f) for name, f in schema.items() if f.required and name not in fixed}
    optional = {name: value_for(f) for name, f in schema.items() if not f.required and name not in fixed}
    return st.fixed_dictionaries({**{k: st.just(v) for k, v in fixed.items()}, **required}, optional=optional)


def _message(cls):
    if cls is protocol.Event:
        return st.sampled_from(sorted(protocol.EVENT_KINDS)).flatmap(_event)
    if cls is protocol.Reply:
        return st.booleans().flatmap(_reply)
    return fields_for(cls.fields).map(lambda values: cls(**values))


def _event(kind):
    schema = {**protocol.Event.fields, **protocol.EVENT_KINDS[kind]}
    fixed = {"kind": kind}
    if kind == "dialog":
        return st.sampled_from(["request", "resolved"]).flatmap(
            lambda action: fields_for(
                {k: v for k, v in schema.items() if k != "answer" or action == "resolved"},
                {**fixed, "action": action, **({"answer": "stop"} if action == "resolved" else {})},
            )
        ).map(lambda values: protocol.Event(**values))
    if kind == "tree":  # each action has fields of its own, all of them required
        return st.sampled_from(sorted(protocol.TREE_ACTIONS)).flatmap(
            lambda action: fields_for(
                {"ts": schema["ts"], **{name: dataclasses.replace(schema[name], required=True)
                                        for name in protocol.TREE_ACTIONS[action]}},
                {**fixed, "action": action},
            )
        ).map(lambda values: protocol.Event(**values))
    if kind == "directory":
        return st.sampled_from(sorted(DIRECTORY_FIELDS)).flatmap(
            lambda change: fields_for(_directory_schema(schema, change), {**fixed, "change": change})
        ).map(lambda values: protocol.Event(**values))
    return fields_for(schema, fixed).map(lambda values: protocol.Event(**values))


def _directory_schema(schema, change):
    """A directory event's fields for one change: those it carries are required, the others absent."""
    carried = DIRECTORY_FIELDS[change]
    return {name: dataclasses.replace(field, required=True) if name in carried else field
            for name, field in schema.items() if field.required or name in carried}


def _reply(ok):
    schema = dict(protocol.Reply.fields)
    fixed = {"ok": ok}
    if ok:
        del schema["error"]
    else:
        fixed["error"] = "it failed"
    return fields_for(schema, fixed).map(lambda values: protocol.Reply(**values))


messages = st.one_of(*(_message(cls) for cls in protocol.MESSAGE_TYPES.values()))

events = _message(protocol.Event)
