"""One client's queue in the server, over trio's in-memory streams: what is kept, folded and dropped."""
import trio
import trio.testing

import protocol
from seqserver.keys import Principal
from seqserver.outbox import Burst, Client
from seqserver.server import StreamTransport


def state(sn: int) -> protocol.Event:
    return protocol.Event(kind="state", ts=1.0, sn=sn, id=f"n{sn}", name="n", state="RUNNING", flags=[])


def tree(action: str = "loaded") -> protocol.Event:
    return protocol.Event(kind="tree", ts=1.0, action=action, snapshot=protocol.empty_snapshot())


def run(status: str) -> protocol.Event:
    return protocol.Event(kind="run", ts=1.0, status=status)


def client(queue_limit: int = 10_000):
    """A client whose peer reads nothing until the test reads: (client, the peer's end)."""
    ours, theirs = trio.testing.lockstep_stream_pair()
    connection = protocol.Connection(protocol.SERVER, name="seqserver")
    return Client(StreamTransport(ours, "peer"), connection, "test", Principal("observer", "wall"),
                  queue_limit), theirs


async def received(stream, count: int) -> list[protocol.Message]:
    decoder, messages = protocol.Decoder(), []
    with trio.fail_after(5):
        while len(messages) < count:
            messages += decoder.feed(await stream.receive_some())
    return messages


async def test_events_arrive_in_order_and_a_tree_event_leaves_out_the_states_and_trees_queued_before_it(nursery):
    queue, peer = client()
    queue.offer(Burst.of([state(1), tree(), state(2), run("running"), state(3)]))
    queue.offer(Burst.of([tree("reset")]))
    nursery.start_soon(queue.write, protocol.Snapshot())
    got = await received(peer, 2)
    assert [(m.kind, m.get("action") or m.get("status")) for m in got] == [("run", "running"), ("tree", "reset")]


async def test_a_client_too_far_behind_misses_states_but_never_runs_then_is_brought_back(nursery):
    queue, peer = client(queue_limit=300)
    queue.offer(Burst.of([state(sn) for sn in range(10)]))  # over the limit: the next states are dropped
    queue.offer(Burst.of([state(99), run("finished"), state(100)]))
    assert queue.dropped == 2
    snapshot = protocol.Snapshot({**protocol.empty_snapshot(), "status": "finished"})
    nursery.start_soon(queue.write, snapshot)
    got = await received(peer, 13)
    assert [m.sn for m in got[:10]] == list(range(10)) and got[10].status == "finished"
    assert got[11].kind == "notice" and "2 state, log and output events were dropped" in got[11].message
    assert got[12].kind == "tree" and got[12].action == "restored" and got[12].snapshot["status"] == "finished"


async def test_a_client_that_reads_nothing_and_holds_what_cannot_be_dropped_is_disconnected():
    queue, _ = client(queue_limit=100)
    for _ in range(50):
        queue.offer(Burst.of([run("running")]))
    assert queue.cancel_scope.cancel_called


async def test_a_burst_far_over_the_limit_costs_the_states_still_queued_not_the_client(nursery):
    queue, peer = client(queue_limit=300)
    queue.offer(Burst.of([state(sn) for sn in range(100)]))  # taken whole: the queue was empty
    queue.offer(Burst.of([run("finished")]))
    assert not queue.cancel_scope.cancel_called and queue.dropped == 100
    nursery.start_soon(queue.write, protocol.Snapshot({**protocol.empty_snapshot(), "status": "finished"}))
    got = await received(peer, 3)
    assert got[0].status == "finished" and got[1].kind == "notice" and got[2].action == "restored"
