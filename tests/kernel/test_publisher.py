"""The outgoing buffer under a reader that stops reading: bounded memory, documented coalescing."""
import socket
import threading

import trio
import trio.testing

import protocol
from seqkernel.publisher import Publisher


def state(sn, n):
    return {"kind": "state", "sn": sn, "id": f"n{sn}", "name": f"n{sn}", "state": f"STEP{n}", "flags": []}


async def read_everything(stream, until):
    decoder, received = protocol.Decoder(), []
    while not until(received):
        received.extend(decoder.feed(await stream.receive_some(1 << 16)))
    return received


async def test_a_stalled_reader_gets_final_states_errors_and_a_count_of_what_was_dropped():
    left, right = socket.socketpair()
    kernel_end = trio.SocketStream(trio.socket.from_stdlib_socket(left))
    reader_end = trio.SocketStream(trio.socket.from_stdlib_socket(right))
    publisher = Publisher(high_water=64 * 1024)
    async with trio.open_nursery() as nursery:
        await nursery.start(publisher.run_writer, kernel_end)
        # Nobody reads: publish far more than the socket buffers and the high-water mark hold.
        for n in range(20_000):
            publisher.publish(state(n % 10, n))
            publisher.publish({"kind": "log", "level": "INFO", "logger": "seq.user", "message": "x" * 100, "sn": None})
            if n % 5000 == 0:
                publisher.publish({"kind": "error", "sn": 3, "id": "n3", "name": "n3", "exception": f"E{n}",
                                   "traceback": "", "file": None, "line": None})
        # Output arrives from capture threads, not from trio.
        thread = threading.Thread(target=lambda: [publisher.publish_output("stdout", "y" * 1000) for _ in range(2000)])
        thread.start()
        thread.join()
        publisher.send(protocol.encode(protocol.Reply(id=1, ok=True, output="done")))
        await trio.testing.wait_all_tasks_blocked()
        assert publisher._size < 64 * 1024 + 10 * 200 + 4 * 300  # high water + one state per node + errors

        events = await read_everything(reader_end, lambda got: any(m.type == "reply" for m in got)
                                       and any(getattr(m, "kind", None) == "notice" for m in got))
        nursery.cancel_scope.cancel()

    states = [m for m in events if m.type == "event" and m.kind == "state"]
    for sn in range(10):
        steps = [int(m.state[4:]) for m in states if m.sn == sn]
        assert steps == sorted(steps), "a node's states were reordered"
        assert steps[-1] == 19_990 + sn, "a node's final state was lost"
    assert [m.exception for m in events if m.type == "event" and m.kind == "error"] == ["E0", "E5000", "E10000", "E15000"]
    assert len(states) < 20_000 and sum(1 for m in events if getattr(m, "kind", None) == "log") < 20_000
    notice = next(m for m in events if getattr(m, "kind", None) == "notice")
    assert "dropped" in notice.message and "log events" in notice.message and "output events" in notice.message


async def test_a_reader_that_keeps_up_gets_every_event_in_order():
    left, right = socket.socketpair()
    kernel_end = trio.SocketStream(trio.socket.from_stdlib_socket(left))
    reader_end = trio.SocketStream(trio.socket.from_stdlib_socket(right))
    publisher = Publisher()
    async with trio.open_nursery() as nursery:
        await nursery.start(publisher.run_writer, kernel_end)
        for n in range(3000):
            publisher.publish(state(n % 7, n))
        events = await read_everything(reader_end, lambda got: len(got) == 3000)
        nursery.cancel_scope.cancel()
    assert [int(m.state[4:]) for m in events] == list(range(3000))


async def test_events_queued_while_the_loop_does_not_turn_are_written_as_they_are_queued():
    """Code that runs long without letting trio's loop turn (steps run back to back) still has its
    events on the wire as soon as a batch is worth sending, not when the writer task next runs."""
    left, right = socket.socketpair()
    kernel_end = trio.SocketStream(trio.socket.from_stdlib_socket(left))
    publisher = Publisher()
    async with trio.open_nursery() as nursery:
        await nursery.start(publisher.run_writer, kernel_end)
        for n in range(3000):  # some 200 KB, with no checkpoint: the writer task cannot run meanwhile
            publisher.publish(state(n % 7, n))
        arrived = right.recv(1 << 20, socket.MSG_DONTWAIT)
        assert len(arrived) >= 64 * 1024
        decoded = protocol.Decoder().feed(arrived)
        assert [int(m.state[4:]) for m in decoded] == list(range(len(decoded)))
        nursery.cancel_scope.cancel()
    right.close()
