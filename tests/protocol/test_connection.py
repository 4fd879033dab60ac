"""The connection core with plain bytes: the handshake and bad input, as both roles see them."""
import msgpack
import pytest

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
