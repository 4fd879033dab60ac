"""The connection core with plain bytes: the handshake and bad input, as both roles see them."""
import math

import msgpack
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import protocol

HELLO = protocol.Hello(version=1, client="tests")


def server(**options) -> protocol.Connection:
    return protocol.Connection(protocol.SERVER, name="seqtest", **options)


def events(connection: protocol.Connection) -> list:
    """Every event the core has now, up to NEED_DATA or ENDED (included)."""
    taken = []
    while True:
        taken.append(connection.next_event())
        if taken[-1] in (protocol.NEED_DATA, protocol.ENDED):
            return taken


def test_a_server_hands_over_the_hello_and_holds_what_follows_until_it_decides():
    connection = server()
    connection.receive_data(protocol.encode(HELLO) + protocol.encode(protocol.Cmd(id=1, line="nodes")))
    assert events(connection) == [HELLO, protocol.NEED_DATA]  # the command waits for the decision
    assert connection.state is protocol.State.DECIDING
    welcome = connection.welcome(protocol.Welcome(version=1, server="t", snapshot={}))
    assert protocol.Decoder().feed(welcome)[0].type == "welcome"
    assert events(connection) == [protocol.Cmd(id=1, line="nodes"), protocol.NEED_DATA]


@pytest.mark.parametrize("first, problem", [
    (protocol.encode(protocol.Cmd(id=1, line="x")), "send 'hello' first, not 'cmd'"),
    (protocol.encode(protocol.Hello(version=2, client="x")), "protocol version 2 is not supported: this seqtest speaks version 1"),
    (msgpack.packb({"type": "hello"}), "bad hello: 'hello' message: missing field 'version'"),
    (b"\xc1", "bad hello: malformed data: bytes that are not msgpack"),
])
def test_anything_but_a_good_hello_first_is_refused_fatally_and_ends_the_connection(first, problem):
    connection = server()
    connection.receive_data(first + protocol.encode(HELLO))
    refused, ended = connection.next_event(), connection.next_event()
    assert refused == protocol.Refused(protocol.Error(error=problem, fatal=True)) and ended is protocol.ENDED
    connection.send(refused.answer)  # the refusal itself can still be sent...
    with pytest.raises(protocol.ProtocolError):
        connection.send(protocol.Error(error="more", fatal=False))  # ... and then nothing


def test_the_first_message_is_small_until_the_peer_is_welcomed():
    connection = server(first_message_limit=100)
    connection.receive_data(msgpack.packb({"type": "hello", "version": 1, "client": "x" * 200}))
    assert connection.next_event().answer.error == "bad hello: message larger than the limit of 100 bytes"
    trusted = server(first_message_limit=100)
    trusted.receive_data(protocol.encode(HELLO))
    trusted.next_event()
    trusted.welcome(protocol.Welcome(version=1, server="t", snapshot={}))
    trusted.receive_data(protocol.encode(protocol.Cmd(id=1, line="x" * 200)))
    assert trusted.next_event().line == "x" * 200


def test_after_the_welcome_bad_input_is_answered_and_the_tenth_in_a_row_closes():
    connection = server()
    connection.receive_data(protocol.encode(HELLO))
    connection.next_event()
    connection.welcome(protocol.Welcome(version=1, server="t", snapshot={}))
    connection.receive_data(protocol.encode(HELLO) + msgpack.packb({"type": "cmd"}) * 3)
    answers = [event.answer for event in events(connection)[:-1]]
    assert [(a.error, a.fatal) for a in answers] == [("already greeted: 'hello' is only sent once", False)] + [
        ("'cmd' message: missing field 'id'", False)] * 3
    connection.receive_data(protocol.encode(protocol.Cmd(id=1, line="ok")))  # a good one resets the count
    assert events(connection)[0].id == 1
    connection.receive_data(msgpack.packb({"type": "shout"}) * protocol.MAX_BAD_IN_A_ROW)
    taken = events(connection)
    assert [event.fatal for event in taken[:-1]] == [False] * 9 + [True] and taken[-1] is protocol.ENDED


def test_a_client_sends_hello_first_and_takes_the_welcome_then_replies_and_events():
    client = protocol.Connection(protocol.CLIENT, name="tests")
    with pytest.raises(protocol.ProtocolError, match="hello"):
        client.send(protocol.Cmd(id=1, line="x"))
    client.send(HELLO)
    client.send(protocol.Cmd(id=1, line="x"))  # commands may follow the hello at once
    reply = protocol.Reply(id=1, ok=True, output="")
    client.receive_data(protocol.encode(protocol.Welcome(version=1, server="t", snapshot={})) + protocol.encode(reply))
    first, second, _ = events(client)
    assert first.type == "welcome" and client.state is protocol.State.OPEN and second == reply


def test_a_client_refuses_an_answer_to_its_hello_that_is_no_welcome():
    client = protocol.Connection(protocol.CLIENT, name="tests")
    client.send(HELLO)
    client.receive_data(protocol.encode(protocol.Reply(id=1, ok=True, output="")))
    assert client.next_event().answer.fatal and client.next_event() is protocol.ENDED


def test_a_websocket_frame_holds_exactly_one_message():
    connection = server()
    connection.receive_frame(protocol.encode(HELLO))
    assert connection.next_event() == HELLO
    connection.welcome(protocol.Welcome(version=1, server="t", snapshot={}))
    cmd = protocol.encode(protocol.Cmd(id=1, line="x"))
    for frame in (cmd * 2, cmd[:-1], "text"):
        connection.receive_frame(frame)
        assert not connection.next_event().fatal
    connection.receive_frame(cmd)
    assert connection.next_event().line == "x"  # nothing of the bad frames carried over


def test_the_end_of_the_peers_stream_ends_the_connection_once_what_came_before_is_taken():
    connection = server()
    connection.receive_data(protocol.encode(HELLO) + protocol.encode(HELLO))
    connection.receive_data(b"")
    assert events(connection) == [HELLO, protocol.NEED_DATA]  # what follows the hello awaits the decision
    connection.welcome(protocol.Welcome(version=1, server="t", snapshot={}))
    assert [type(event) for event in events(connection)] == [protocol.Refused, type(protocol.ENDED)]


class Clock:
    """Time as the test says it is."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def greeted(clock: Clock) -> protocol.Connection:
    connection = server(clock=clock)
    connection.receive_data(protocol.encode(HELLO))
    connection.next_event()
    connection.welcome(protocol.Welcome(version=1, server="t", snapshot={}))
    return connection


def test_a_message_cut_short_is_dropped_when_nothing_follows_and_the_next_one_is_taken():
    clock = Clock()
    connection = greeted(clock)
    cmd = protocol.encode(protocol.Cmd(id=1, line="nodes"))
    connection.receive_data(cmd + cmd[:5])  # a whole command, then the start of one cut short
    assert events(connection) == [protocol.Cmd(id=1, line="nodes"), protocol.NEED_DATA]
    clock.now = 1.5
    assert connection.receive_timeout() == protocol.PAUSE_LIMIT - 1.5  # measured from the last bytes
    clock.now = protocol.PAUSE_LIMIT
    connection.receive_timed_out()
    refused = connection.next_event()
    assert refused.answer == protocol.Error(
        error=f"incomplete message dropped: 5 bytes received, then nothing more for {protocol.PAUSE_LIMIT:g} s",
        fatal=False)
    assert connection.receive_timeout() == math.inf  # nothing held now
    connection.receive_data(protocol.encode(protocol.Cmd(id=2, line="modules")))
    assert events(connection) == [protocol.Cmd(id=2, line="modules"), protocol.NEED_DATA]


def test_a_message_cut_short_that_swallows_what_keeps_coming_is_dropped_after_the_message_time_limit():
    clock = Clock()
    connection = greeted(clock)
    connection.receive_data(b"\xda\xff\xff")  # a string of 65,535 bytes: the commands after it are its text
    cmd = protocol.encode(protocol.Cmd(id=1, line="nodes"))
    while clock.now < protocol.MESSAGE_TIME_LIMIT - 1:
        clock.now += 1
        connection.receive_data(cmd)
        assert connection.next_event() is protocol.NEED_DATA
    assert connection.receive_timeout() == 1.0
    clock.now += 1
    connection.receive_timed_out()
    assert connection.next_event().answer.error.endswith(f"still incomplete after {protocol.MESSAGE_TIME_LIMIT:g} s")


def test_the_limits_count_from_the_start_of_each_message_and_only_the_answering_side_applies_them():
    clock = Clock()
    connection = greeted(clock)
    cmd = protocol.encode(protocol.Cmd(id=1, line="nodes"))
    connection.receive_data(cmd[:5])
    clock.now = protocol.MESSAGE_TIME_LIMIT - 1
    connection.receive_data(cmd[5:] + cmd[:5])  # one ends, the next begins: its own limits apply
    assert connection.receive_timeout() == protocol.PAUSE_LIMIT
    client = protocol.Connection(protocol.CLIENT, name="tests", clock=clock)
    client.send(HELLO)
    client.receive_data(protocol.encode(protocol.Welcome(version=1, server="t", snapshot={}))[:5])
    assert client.receive_timeout() == math.inf  # it waits for its server, however slow


def test_a_hello_cut_short_is_a_bad_hello():
    clock = Clock()
    connection = server(clock=clock)
    connection.receive_data(protocol.encode(HELLO)[:4])
    clock.now = protocol.PAUSE_LIMIT
    connection.receive_timed_out()
    refused = connection.next_event()
    assert refused.fatal and refused.answer.error.startswith("bad hello: incomplete message dropped: 4 bytes")


@settings(max_examples=300)
@given(st.lists(st.binary(max_size=300), max_size=6))
def test_whatever_the_garbage_the_peer_is_never_left_waiting_in_silence(chunks):
    """A reader that waits as the core says (:meth:`receive_timeout`) is told something, an answer
    or an error, for everything it got; then it holds nothing, and a command sent alone is taken."""
    clock = Clock()
    connection = greeted(clock)
    for chunk in chunks:
        connection.receive_data(chunk)
        clock.now += 0.001
    taken = events(connection)
    if connection.receive_timeout() < math.inf:  # part of a message is held: it is dropped in time
        clock.now += connection.receive_timeout()
        connection.receive_timed_out()
        taken = events(connection)
        assert isinstance(taken[-2], protocol.Refused)
    assert connection.buffered == 0
    if taken[-1] is not protocol.ENDED:  # (the tenth bad message in a row closes the connection)
        connection.receive_data(protocol.encode(protocol.Cmd(id=7, line="nodes")))
        assert events(connection)[0] == protocol.Cmd(id=7, line="nodes")


SERVER_SAYS = st.sampled_from([
    protocol.encode(protocol.Event(kind="run", ts=1.0, status="running")),
    protocol.encode(protocol.Reply(id=1, ok=True, output="")),
    protocol.encode(protocol.Error(error="bad", fatal=False)),
    protocol.encode(protocol.Error(error="gone", fatal=True)),
    protocol.encode(protocol.Welcome(version=1, server="t", snapshot={})),
    msgpack.packb({"type": "cmd", "id": 1, "line": "x"}),  # not what a client is sent
    msgpack.packb({"type": "event", "kind": "run"}),  # an invalid event
    b"\xc1",  # not msgpack
])


@given(st.booleans(), st.lists(SERVER_SAYS, max_size=12))
def test_a_burst_taken_at_once_is_what_it_gives_message_by_message(welcomed, said):
    one_by_one, at_once = (protocol.Connection(protocol.CLIENT, name="tests") for _ in range(2))
    welcome = protocol.encode(protocol.Welcome(version=1, server="t", snapshot={})) if welcomed else b""
    for connection in (one_by_one, at_once):
        connection.send(HELLO)
        connection.receive_data(welcome + b"".join(said))
    assert [*at_once.next_events(), at_once.next_event()] == events(one_by_one)
