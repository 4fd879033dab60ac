"""Who may knock, and how often: limits on connections that have not yet said who they are.

Before its ``hello`` is accepted a connection costs the server a file descriptor
and a task, and proves nothing. So, with no I/O here (the server asks, this
answers):

- at most ``max_pending`` connections wait to be greeted at once, at most
  ``max_pending_per_peer`` of them from one address (by default a quarter of
  ``max_pending``, so a few addresses cannot fill it; an HTTP connection counts
  until its websocket is greeted: a page's files come on such connections);
- each address has a budget of failures (a wrong token, a refused or malformed
  ``hello``, one that never came): ``failure_burst`` at once, refilled at
  ``failures_per_second``. An address that spent it is turned away, whatever it
  sends, until its budget has refilled by one. Token guesses are thus slowed to
  that rate, and the log says once that an address is held off instead of a
  line per attempt.
"""
from __future__ import annotations

import contextvars
import dataclasses
import time
from collections import Counter
from collections.abc import Callable

DEFAULT_MAX_PENDING = 128
DEFAULT_FAILURE_BURST = 20
DEFAULT_FAILURES_PER_SECOND = 1.0


@dataclasses.dataclass
class _Budget:
    left: float
    at: float


class Ticket:
    """One connection's place at the door, from its acceptance until it is greeted or gone."""

    def __init__(self, doorway: Doorway, host: str) -> None:
        self._doorway = doorway
        self.host = host
        self.waiting = True

    def greeted(self) -> None:
        """The connection said who it is and was welcomed: it no longer waits at the door."""
        self._doorway._leave(self)

    def failed(self) -> bool:
        """The connection was refused (wrong token, bad hello...): True when its address has now
        spent its budget (the caller logs that once)."""
        return self._doorway._fail(self.host)


class Doorway:
    """The limits, and the counts they are checked against."""

    def __init__(self, *, max_pending: int = DEFAULT_MAX_PENDING,
                 max_pending_per_peer: int | None = None,
                 failure_burst: int = DEFAULT_FAILURE_BURST,
                 failures_per_second: float = DEFAULT_FAILURES_PER_SECOND,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.max_pending = max_pending
        self.max_pending_per_peer = max_pending_per_peer or max(max_pending // 4, 1)
        self.failure_burst = failure_burst
        self.failures_per_second = failures_per_second
        self._clock = clock
        self._pending: Counter[str] = Counter()
        self._budgets: dict[str, _Budget] = {}

    @property
    def pending(self) -> int:
        return sum(self._pending.values())

    def enter(self, host: str) -> Ticket | str:
        """A ticket for a new connection from ``host``, or why it is turned away."""
        if (wait := self.held_off_for(host)) > 0:
            return f"too many failed attempts from {host}: try again in {max(wait, 1):.0f} s"
        if self.pending >= self.max_pending:
            return f"too many connections waiting to be greeted (at most {self.max_pending})"
        if self._pending[host] >= self.max_pending_per_peer:
            return f"too many connections from {host} waiting to be greeted (at most {self.max_pending_per_peer})"
        self._pending[host] += 1
        return Ticket(self, host)

    def leave(self, ticket: Ticket) -> None:
        """The connection has gone (greeted or not)."""
        self._leave(ticket)

    def held_off_for(self, host: str) -> float:
        """Seconds until an address that spent its failure budget may try again (0: it may)."""
        budget = self._refilled(host)
        return 0.0 if budget is None or budget.left >= 1 else (1 - budget.left) / self.failures_per_second

    def _leave(self, ticket: Ticket) -> None:
        if ticket.waiting:
            ticket.waiting = False
            self._pending[ticket.host] -= 1
            if not self._pending[ticket.host]:
                del self._pending[ticket.host]

    def _fail(self, host: str) -> bool:
        budget = self._refilled(host) or self._budgets.setdefault(host, _Budget(self.failure_burst, self._clock()))
        budget.left -= 1
        return budget.left < 1

    def _refilled(self, host: str) -> _Budget | None:
        budget = self._budgets.get(host)
        if budget is None:
            return None
        now = self._clock()
        budget.left = min(self.failure_burst, budget.left + (now - budget.at) * self.failures_per_second)
        budget.at = now
        if budget.left >= self.failure_burst:
            del self._budgets[host]  # a full budget is the default: forget the address
            return None
        return budget


# The ticket of the connection a task serves (the protocol's handshake and the web side share it).
current_ticket: contextvars.ContextVar[Ticket | None] = contextvars.ContextVar("current_ticket", default=None)
