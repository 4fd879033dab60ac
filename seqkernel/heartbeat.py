"""The kernel's heartbeat: its event loop beats into the black box, and what it queued is not held up.

A task of the event loop beats every ``BEAT`` seconds (:meth:`BlackBox.beat`);
the kernel's parent watches the beats (:mod:`seqkernel.watchdog`) and tells the
operators when they stop. A step that blocks the loop (a ``time.sleep`` in a
coroutine) also stops the writer task, so the events queued just before it (the
step's own ``RUNNING``, its first log lines) and what it prints meanwhile would
wait until it returns. A plain thread watches the beats too, and while the loop
misses them, sends what is queued itself. (A step that holds the GIL stops that
thread as well: then only the parent can speak.)
"""
from __future__ import annotations

import threading
import time

import trio

from seqkernel.blackbox import BlackBox
from seqkernel.publisher import Publisher

BEAT = 0.1  # seconds between beats
SEND_AFTER = 0.3  # seconds without a beat after which the thread sends what is queued


class Heartbeat:
    """The beating task and the sending thread of one kernel."""

    def __init__(self, black_box: BlackBox, publisher: Publisher, *, beat: float = BEAT,
                 send_after: float = SEND_AFTER) -> None:
        self.black_box = black_box
        self.publisher = publisher
        self.beat = beat
        self.send_after = send_after
        self._last_beat = time.monotonic()

    async def run(self, task_status=trio.TASK_STATUS_IGNORED) -> None:
        """Beat until cancelled, with the sending thread alive meanwhile."""
        stop = threading.Event()
        sender = threading.Thread(target=self._send_while_blocked, args=(stop,), name="heartbeat", daemon=True)
        self._beat()
        sender.start()
        task_status.started()
        try:
            while True:
                await trio.sleep(self.beat)
                self._beat()
        finally:
            stop.set()

    def _beat(self) -> None:
        self._last_beat = time.monotonic()
        self.black_box.beat()

    def _send_while_blocked(self, stop: threading.Event) -> None:
        while not stop.wait(self.beat):
            if time.monotonic() - self._last_beat >= self.send_after:
                self.publisher.send_queued_from_thread()
