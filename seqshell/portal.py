"""trio in a second thread, for a cmd2 application that owns the main thread.

cmd2 4.x runs prompt_toolkit's asyncio loop in the main thread, so the shell's
trio side (the kernel link, the event pump, the server connection) lives in a
thread of its own. Commands call into it with :meth:`TrioPortal.run`; background
tasks live in the portal's nursery and end when the portal closes.
"""
from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable
from typing import Any, Self

import structlog
import trio

log = structlog.get_logger("seqshell.portal")


class TrioPortal:
    """A trio run loop in a daemon thread, with a nursery commands can use."""

    def __init__(self) -> None:
        self._ready = threading.Event()
        self._token: trio.lowlevel.TrioToken | None = None
        self._nursery: trio.Nursery | None = None
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._main, name="seqshell-trio", daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        self._ready.wait()
        if self._failure:
            raise self._failure
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _main(self) -> None:
        try:
            trio.run(self._serve)
        except BaseException as exc:  # reported to the caller of __enter__ or of run()
            log.exception("the trio thread stopped")
            self._failure = exc
            self._ready.set()

    async def _serve(self) -> None:
        async with trio.open_nursery() as nursery:
            self._token = trio.lowlevel.current_trio_token()
            self._nursery = nursery
            self._ready.set()
            await trio.sleep_forever()

    def run(self, afn: Callable[..., Awaitable[Any]], *args: Any) -> Any:
        """Run ``afn(*args)`` in the trio thread and return its result (blocks the caller)."""
        try:
            return trio.from_thread.run(afn, *args, trio_token=self._token)
        except trio.RunFinishedError:
            raise RuntimeError(f"the shell's trio thread has stopped ({self._failure!r}); see seq.log") from None

    def run_sync(self, fn: Callable[..., Any], *args: Any) -> Any:
        return trio.from_thread.run_sync(fn, *args, trio_token=self._token)

    @property
    def nursery(self) -> trio.Nursery:
        """The nursery that background tasks of the trio side live in (use from the trio thread)."""
        return self._nursery

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def close(self) -> None:
        """Cancel every background task and wait for the trio thread to end."""
        if self._thread.is_alive() and self._nursery is not None:
            try:
                self.run_sync(self._nursery.cancel_scope.cancel)
            except trio.RunFinishedError:
                pass
            self._thread.join()
