"""The door's arithmetic (seqserver.doorway), on a clock the test turns."""
from seqserver.doorway import Doorway, Ticket


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_connections_waiting_to_be_greeted_are_bounded_in_all_and_per_address():
    door = Doorway(max_pending=5, max_pending_per_peer=3)
    tickets = [door.enter("10.0.0.1") for _ in range(3)]
    assert all(isinstance(ticket, Ticket) for ticket in tickets)
    assert door.enter("10.0.0.1") == "too many connections from 10.0.0.1 waiting to be greeted (at most 3)"
    assert isinstance(door.enter("10.0.0.2"), Ticket) and isinstance(door.enter("10.0.0.3"), Ticket)
    assert door.enter("10.0.0.4") == "too many connections waiting to be greeted (at most 5)"
    tickets[0].greeted()
    door.leave(tickets[0])  # leaving after being greeted frees nothing twice
    assert door.pending == 4
    assert isinstance(door.enter("10.0.0.1"), Ticket)


def test_an_address_that_spent_its_failures_is_held_off_until_one_has_refilled():
    clock = Clock()
    door = Doorway(failure_burst=3, failures_per_second=2.0, clock=clock)
    spent = []
    for _ in range(3):
        ticket = door.enter("10.0.0.9")
        spent.append(ticket.failed())
        door.leave(ticket)
    assert spent == [False, False, True], "the third failure spends the budget, and says so once"
    assert door.enter("10.0.0.9") == "too many failed attempts from 10.0.0.9: try again in 1 s"
    assert isinstance(door.enter("10.0.0.8"), Ticket), "other addresses are not held off"
    clock.now += 0.5  # one failure refilled
    ticket = door.enter("10.0.0.9")
    assert isinstance(ticket, Ticket)
    assert ticket.failed() is True, "one more failure holds it off again at once"
    clock.now += 10
    assert door.held_off_for("10.0.0.9") == 0
