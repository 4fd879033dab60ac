"""Message classes: construction validates, and every problem names the message type and field."""
import re

import msgpack
import pytest
from hypothesis import given

import protocol
from protocol_strategies import events, messages


@given(messages)
def test_every_message_round_trips_through_dict_and_bytes(message):
    assert protocol.from_dict(message.to_dict()) == message
    assert protocol.Decoder().feed(protocol.encode(message)) == [message]


def test_fields_read_as_attributes_and_absent_optional_fields_as_none():
    hello = protocol.Hello(version=1, client="seqshell")
    assert (hello.version, hello.client, hello.token) == (1, "seqshell", None)
    assert hello.to_dict() == {"type": "hello", "version": 1, "client": "seqshell"}
    with pytest.raises(AttributeError):
        hello.nonsense


@given(messages)
def test_a_message_reads_like_the_map_of_its_fields(message):
    fields = {name: value for name, value in message.to_dict().items() if name != "type"}
    assert {**message} == dict(message.items()) == {name: message[name] for name in message} == fields
    assert all(name in message and message.get(name) == value for name, value in fields.items())
    assert "type" not in message and message.get("type", "absent") == "absent"


def _valid(message_type, kind=None):
    if message_type == "event":
        examples = {
            "state": dict(sn=3, id="a_1", name="a", state="FINISHED", flags=["SKIP"]),
            "run": dict(status="running"),
        }
        return {"type": "event", "kind": kind, "ts": 1.5, **examples[kind]}
    return {
        "hello": {"type": "hello", "version": 1, "client": "c"},
        "welcome": {"type": "welcome", "version": 1, "server": "s", "snapshot": {}},
        "cmd": {"type": "cmd", "id": 1, "line": "nodes"},
        "reply": {"type": "reply", "id": 1, "ok": True, "output": ""},
        "error": {"type": "error", "error": "bad", "fatal": False},
    }[message_type]


CASES = [(t, None) for t in ("hello", "welcome", "cmd", "reply", "error")] + [("event", "state"), ("event", "run")]


@pytest.mark.parametrize("message_type,kind", CASES)
def test_missing_unknown_and_wrong_typed_fields_are_named(message_type, kind):
    valid = _valid(message_type, kind)
    protocol.from_dict(valid)
    for field in [k for k in valid if k not in ("type", "kind")]:
        broken = {k: v for k, v in valid.items() if k != field}
        with pytest.raises(protocol.ProtocolError, match=f"'{message_type}' message: missing field '{field}'"):
            protocol.from_dict(broken)
        wrong = {**valid, field: object()}
        with pytest.raises(protocol.ProtocolError, match=f"'{message_type}' message: field '{field}' must be"):
            protocol.from_dict(wrong)
    with pytest.raises(protocol.ProtocolError, match=f"'{message_type}' message: unknown field 'extra'"):
        protocol.from_dict({**valid, "extra": 1})
    cls = protocol.MESSAGE_TYPES[message_type]
    with pytest.raises(protocol.ProtocolError, match=f"'{message_type}' message: unknown field 'extra'"):
        cls(**{k: v for k, v in valid.items() if k != "type"}, extra=1)


def test_booleans_are_not_numbers_and_numbers_not_booleans():
    with pytest.raises(protocol.ProtocolError, match="field 'id' must be an integer, not bool"):
        protocol.Cmd(id=True, line="run")
    with pytest.raises(protocol.ProtocolError, match="field 'ok' must be a boolean"):
        protocol.Reply(id=1, ok=1, output="")


def test_choices_and_list_items_are_checked():
    with pytest.raises(protocol.ProtocolError, match="field 'kind' must be one of state, tree"):
        protocol.Event(kind="weather", ts=1)
    with pytest.raises(protocol.ProtocolError, match="field 'flags' item 0 must be one of PAUSE, SKIP"):
        protocol.Event(kind="state", ts=1, sn=1, id="x", name="x", state="RUNNING", flags=["BREAK"])


def test_rules_across_fields():
    with pytest.raises(protocol.ProtocolError, match="missing field 'error'"):
        protocol.Reply(id=1, ok=False, output="")
    with pytest.raises(protocol.ProtocolError, match="'error' is only allowed when 'ok' is false"):
        protocol.Reply(id=1, ok=True, output="", error="x")
    dialog = dict(kind="dialog", ts=1, sn=4, name="d", description="", condition_label="c", step_label="s")
    with pytest.raises(protocol.ProtocolError, match="missing field 'answer'"):
        protocol.Event(**dialog, action="resolved")
    with pytest.raises(protocol.ProtocolError, match="'answer' is only allowed in a resolved dialog"):
        protocol.Event(**dialog, action="request", answer="stop")


@pytest.mark.parametrize(
    "data,problem",
    [
        ([1, 2], "a message must be a map, not list"),
        ({"line": "run"}, "message without a 'type' field"),
        ({"type": "shout"}, "unknown message type 'shout'"),
        ({"type": 7}, "unknown message type 7"),
    ],
)
def test_what_is_not_a_message(data, problem):
    with pytest.raises(protocol.ProtocolError, match=problem):
        protocol.from_dict(data)


def test_reply_data_must_be_plain_data():
    timestamp = msgpack.Timestamp(1, 0)
    with pytest.raises(protocol.ProtocolError, match="field 'data' holds a value that is not plain data"):
        protocol.Reply(id=1, ok=True, output="", data={"when": [timestamp]})


def test_encode_refuses_what_is_not_a_message_and_what_is_too_large():
    with pytest.raises(protocol.ProtocolError, match="only protocol messages can be encoded"):
        protocol.encode({"type": "cmd", "id": 1, "line": "run"})
    with pytest.raises(protocol.ProtocolError, match="'cmd' message of 1038 bytes exceeds the limit of 1000 bytes"):
        protocol.encode(protocol.Cmd(id=1, line="x" * 1016), max_size=1000)


@given(events)
def test_an_event_body_encodes_as_its_event(event):
    assert protocol.encode_event(dict(event)) == protocol.encode(event)


@pytest.mark.parametrize("field", ["sn", "flags", "extra"])
def test_an_event_body_is_checked_as_its_event_would_be(field):
    body = {k: v for k, v in _valid("event", "state").items() if k != "type"}
    broken = {k: v for k, v in body.items() if k != field} if field in body else {**body, field: 1}
    with pytest.raises(protocol.ProtocolError) as built:
        protocol.Event(**broken)
    with pytest.raises(protocol.ProtocolError, match=f"^{re.escape(str(built.value))}$"):
        protocol.encode_event(broken)
    size = len(protocol.encode_event(body))
    with pytest.raises(protocol.ProtocolError, match=f"'event' message of {size} bytes exceeds the limit of {size - 1} bytes"):
        protocol.encode_event(body, max_size=size - 1)
