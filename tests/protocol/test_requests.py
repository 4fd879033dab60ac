"""The book of commands awaiting replies."""
import protocol


def test_replies_find_their_waiters_in_any_order_and_late_or_strange_ones_nobody():
    requests = protocol.Requests()
    first, second = requests.command("wait", "w1"), requests.command("nodes", "w2")
    assert (first.id, first.line, second.id) == (1, "wait", 2)
    assert requests.resolve(protocol.Reply(id=2, ok=True, output="")) == "w2"
    assert requests.resolve(protocol.Reply(id=2, ok=True, output="")) is None  # answered already
    assert requests.resolve(protocol.Reply(id=99, ok=True, output="")) is None
    requests.forget(1)
    assert requests.resolve(protocol.Reply(id=1, ok=True, output="")) is None and len(requests) == 0


def test_the_oldest_and_the_rest_when_the_connection_ends():
    requests = protocol.Requests()
    for line in ("a", "b", "c"):
        requests.command(line, line.upper())
    assert requests.oldest() == (1, "A")
    assert requests.drain() == [(2, "B"), (3, "C")] and requests.oldest() is None
