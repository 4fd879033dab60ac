"""The outbox every answering process writes through, fed and drained in one trio run."""
import trio
import trio.testing

from seqclient.outbox import BATCH, Outbox, Parcel


class Peer:
    """What the outbox sends, batch by batch; blocked until let go, like a peer that does not read."""

    def __init__(self, reading: bool = True) -> None:
        self.batches: list[list[bytes]] = []  # each message's bytes, as a transport framing them one by one sends them
        self.reading = trio.Event()
        if reading:
            self.reading.set()

    async def send(self, batch: list[Parcel]) -> None:
        await self.reading.wait()
        self.batches.append([message for parcel in batch for message, _ in parcel.messages])


async def test_a_burst_queued_at_once_leaves_in_one_batch_in_order(nursery):
    peer = Peer()
    outbox = Outbox(peer.send)
    nursery.start_soon(outbox.run_writer)
    outbox.put_parcel(Parcel.of([(b"a", "state"), (b"b", "log")]))
    outbox.put(b"c")
    await trio.testing.wait_all_tasks_blocked()
    assert peer.batches == [[b"a", b"b", b"c"]] and outbox.size == 0


async def test_batches_are_bounded_and_what_waits_is_counted_in_bytes(nursery):
    peer = Peer(reading=False)
    outbox = Outbox(peer.send)
    nursery.start_soon(outbox.run_writer)
    chunk = bytes(BATCH // 3 + 1)
    for _ in range(5):
        outbox.put(chunk)
    await trio.testing.wait_all_tasks_blocked()
    assert outbox.size == 3 * len(chunk)  # two went into the first batch, which the peer holds
    peer.reading.set()
    await trio.testing.wait_all_tasks_blocked()
    assert [len(batch) for batch in peer.batches] == [2, 2, 1]


async def test_a_producer_waits_for_room_and_queued_messages_can_be_left_out(nursery):
    peer = Peer(reading=False)
    outbox = Outbox(peer.send)
    nursery.start_soon(outbox.run_writer)
    outbox.put(b"x")  # taken by the writer, which the peer holds
    await trio.testing.wait_all_tasks_blocked()
    outbox.put_parcel(Parcel.of([(b"s1", "state"), (b"log", "log"), (b"s2", "state")]))
    assert outbox.discard(lambda tag: tag == "state") == 2 and outbox.size == 3
    waited = trio.Event()

    async def producer():
        await outbox.wait_for_room(0)
        waited.set()

    nursery.start_soon(producer)
    await trio.testing.wait_all_tasks_blocked()
    assert not waited.is_set()
    peer.reading.set()
    await waited.wait()
    await trio.testing.wait_all_tasks_blocked()
    assert peer.batches == [[b"x"], [b"log"]]


async def test_an_urgent_message_goes_at_once_when_the_line_is_free_and_in_order_otherwise(nursery):
    peer = Peer()
    outbox = Outbox(peer.send)
    await outbox.send_urgent(b"reply")  # no writer running: written by the caller
    assert peer.batches == [[b"reply"]]
    outbox.put(b"event")
    await outbox.send_urgent(b"later reply")  # queued behind the event
    nursery.start_soon(outbox.run_writer)
    await trio.testing.wait_all_tasks_blocked()
    assert peer.batches == [[b"reply"], [b"event", b"later reply"]]


async def test_the_writer_ends_once_finished_and_written_out():
    peer = Peer()
    outbox = Outbox(peer.send)
    outbox.put(b"last")
    outbox.finish()
    outbox.put(b"too late")
    with trio.fail_after(5):
        await outbox.run_writer(lambda: [b"closing"])
    assert peer.batches == [[b"last", b"closing"]] and outbox.written_out.is_set()
