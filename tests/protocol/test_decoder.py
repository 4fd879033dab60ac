"""The streaming decoder: any chunking decodes, and no input makes it crash, hang or hoard memory."""
import msgpack
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import protocol
from protocol_strategies import messages

RUN = protocol.Cmd(id=1, line="run")


def feed_all(decoder, chunks):
    """Feed chunks as a reader would; return the messages and the errors, in order."""
    received, errors = [], []
    for chunk in chunks:
        while True:
            try:
                received.extend(decoder.feed(chunk))
                break
            except protocol.ProtocolError as exc:
                received.extend(exc.messages)
                errors.append(str(exc))
                chunk = b""
    return received, errors


def _split(data, cuts):
    points = sorted({min(c, len(data)) for c in cuts})
    return [data[a:b] for a, b in zip([0, *points], [*points, len(data)])]


@given(st.lists(messages, max_size=6), st.lists(st.integers(0, 4000), max_size=10))
def test_messages_back_to_back_decode_whatever_the_chunking(batch, cuts):
    stream = b"".join(protocol.encode(m) for m in batch)
    received, errors = feed_all(protocol.Decoder(), _split(stream, cuts))
    assert (received, errors) == (batch, [])


@given(messages, st.data())
def test_a_truncated_message_waits_for_the_rest(message, data):
    encoded = protocol.encode(message)
    cut = data.draw(st.integers(0, len(encoded) - 1))
    decoder = protocol.Decoder()
    assert decoder.feed(encoded[:cut]) == []
    assert decoder.feed(encoded[cut:]) == [message]


@settings(max_examples=300)
@given(st.lists(st.binary(max_size=300), max_size=8))
def test_random_garbage_only_raises_protocol_error_and_the_stream_recovers(chunks):
    decoder = protocol.Decoder(max_size=1024)
    feed_all(decoder, chunks)  # any exception but ProtocolError fails the test
    assert decoder.buffered <= 1024
    # Whatever the garbage left behind, a valid message sent on its own chunk,
    # repeated after the limit's worth of bytes, eventually gets through.
    received, _ = feed_all(decoder, [protocol.encode(RUN)] + [protocol.encode(RUN) * 200] * 2)
    assert RUN in received


@settings(max_examples=200)
@given(st.lists(st.integers(0, 255), min_size=1, max_size=64).map(bytes), st.booleans())
def test_garbage_wrapped_in_valid_msgpack_is_one_clean_error(payload, as_map):
    value = {"type": "cmd", "id": payload} if as_map else payload
    decoder = protocol.Decoder()
    received, errors = feed_all(decoder, [msgpack.packb(value), protocol.encode(RUN)])
    assert received == [RUN]
    assert len(errors) == 1


def test_a_bad_message_between_good_ones_loses_neither_neighbour():
    before, after = protocol.Cmd(id=1, line="nodes"), protocol.Cmd(id=2, line="run")
    stream = protocol.encode(before) + msgpack.packb({"type": "cmd", "id": "x", "line": ""}) + protocol.encode(after)
    decoder = protocol.Decoder()
    with pytest.raises(protocol.ProtocolError, match="'cmd' message: field 'id' must be an integer") as caught:
        decoder.feed(stream)
    assert caught.value.messages == [before]
    assert decoder.feed(b"") == [after]


@pytest.mark.parametrize(
    "garbage,problem",
    [
        (b"\xc1", "malformed data: bytes that are not msgpack"),
        (b"\x91" * 2000, "malformed data: values nested too deeply"),
        (b"\xa2\xff\xfe", "malformed data: 'utf-8' codec can't decode"),
        (b"\x07", "malformed data: expected a message \\(a map\\), got int"),
        (b"\xc7\x01\x05a", "malformed data: msgpack ext type 5 is not used"),
        (b"\x81\x90\x01", "malformed data: list is not allowed for map key"),
    ],
)
def test_malformed_bytes_are_named_and_the_next_chunk_decodes(garbage, problem):
    decoder = protocol.Decoder()
    with pytest.raises(protocol.ProtocolError, match=problem):
        decoder.feed(garbage)
    assert decoder.feed(protocol.encode(RUN)) == [RUN]


@given(st.integers(len(protocol.encode(RUN)), 4096), st.integers(1, 20_000), st.lists(st.integers(0, 30_000), max_size=20))
def test_an_oversize_message_is_refused_once_without_buffering_it(limit, excess, cuts):
    huge = protocol.encode(protocol.Cmd(id=1, line="x" * (limit + excess)), max_size=10**6)
    decoder = protocol.Decoder(max_size=limit)
    received, errors = [], []
    for chunk in _split(huge, cuts):
        more, problems = feed_all(decoder, [chunk])
        received += more
        errors += problems
        assert decoder.buffered <= limit
    assert received == []
    assert errors == [f"message larger than the limit of {limit} bytes"]
    assert decoder.feed(protocol.encode(RUN)) == [RUN]


def test_a_message_of_exactly_the_limit_is_accepted():
    encoded = protocol.encode(protocol.Cmd(id=1, line="x" * 4000))
    assert protocol.Decoder(max_size=len(encoded)).feed(encoded) == [protocol.Cmd(id=1, line="x" * 4000)]


def test_feed_with_errors_reports_problems_in_stream_order():
    first, second = protocol.Cmd(id=1, line="nodes"), protocol.Cmd(id=2, line="run")
    stream = protocol.encode(first) + msgpack.packb({"type": "nope"}) + protocol.encode(second)
    items = protocol.Decoder().feed_with_errors(stream)
    assert items[0] == first and items[2] == second
    assert isinstance(items[1], protocol.ProtocolError) and "unknown message type 'nope'" in str(items[1])
