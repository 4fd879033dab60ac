"""The stall watchdog: tells the peer when a step blocks the kernel's event loop.

A coroutine step that calls ``time.sleep(60)`` (instead of ``await
asyncio.sleep``; a plain function would run in a worker thread) stops the whole
kernel: no command is read, no event is sent, an ``abort`` waits until the step
returns.
The kernel cannot preempt Python code, but it can say what is going on, so the
operator is not left guessing: a trio task refreshes a heartbeat timestamp, a
plain thread checks it, and once the heartbeat is ``stall_after`` seconds old
the thread sends a ``notice`` itself (the event loop cannot), naming the step
that was started last and is still running. When the loop turns again, a
second ``notice`` says it recovered and for how long it was blocked.
"""
from __future__ import annotations

import threading
import time

import trio

from seqkernel.publisher import Publisher

STALL_AFTER = 1.0  # seconds without a heartbeat before the peer is warned
BEAT = 0.1  # seconds between heartbeats


class StallWatchdog:
    """Heartbeat (a trio task) and watcher (a thread) for one kernel's event loop."""

    def __init__(self, publisher: Publisher, log, *, stall_after: float = STALL_AFTER, beat: float = BEAT) -> None:
        self.publisher = publisher
        self.log = log
        self.stall_after = stall_after
        self.beat = beat
        self._last_beat = time.monotonic()
        self._stalled_since: float | None = None  # set by the watcher, cleared by the heartbeat
        self._stalled_by = ""
        self._running: dict[int, str] = {}  # sn -> name of nodes RUNNING, in the order they started
        self._lock = threading.Lock()

    def observe(self, record: dict) -> None:
        """Follow the engine's records to know which nodes are running (called in the trio thread)."""
        if record.get("kind") != "state":
            return
        sn = record["sn"]
        self._running.pop(sn, None)
        if record["state"] == "RUNNING":
            self._running[sn] = record["name"]

    async def run(self, task_status=trio.TASK_STATUS_IGNORED) -> None:
        """Beat until cancelled, with the watcher thread alive meanwhile."""
        stop = threading.Event()
        watcher = threading.Thread(target=self._watch, args=(stop,), name="stall-watchdog", daemon=True)
        self._last_beat = time.monotonic()
        watcher.start()
        task_status.started()
        try:
            while True:
                await trio.sleep(self.beat)
                self._heartbeat()
        finally:
            stop.set()

    def _heartbeat(self) -> None:
        with self._lock:
            now = time.monotonic()
            self._last_beat = now
            since, self._stalled_since = self._stalled_since, None
        if since is not None:
            blocked = now - since + self.stall_after
            message = f"the kernel's event loop is running again after {blocked:.1f} s blocked{self._stalled_by}"
            self.log.warning("event loop recovered", blocked=round(blocked, 3))
            self.publisher.publish({"kind": "notice", "level": "INFO", "message": message})

    def _watch(self, stop: threading.Event) -> None:
        while not stop.wait(self.beat):
            with self._lock:
                if self._stalled_since is not None or time.monotonic() - self._last_beat < self.stall_after:
                    continue
                self._stalled_since = time.monotonic()
                self._stalled_by = self._culprit()
            message = (
                f"the kernel's event loop has been blocked for {self.stall_after:.1f} s{self._stalled_by}: "
                "commands, abort included, wait until it returns "
                "(a step that waits should await asyncio.sleep or run as ActionInThread)"
            )
            self.log.warning("event loop blocked", by=self._stalled_by)
            self.publisher.publish_from_thread(
                {"kind": "notice", "level": "WARNING", "message": message}
            )

    def _culprit(self) -> str:
        running = list(self._running.items())  # one C-level copy: the trio thread is not running Python now
        if not running:
            return (" while no step was running (perhaps a script's create_sequence building its nodes, "
                    "or code a step left running in the background)")
        sn, name = running[-1]
        return f" by step {name!r} (sn {sn})"
