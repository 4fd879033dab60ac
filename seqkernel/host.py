"""Where trio and asyncio run: trio as the guest of a real asyncio loop, both in one thread.

The engine is trio code; the steps of scripts written for the manual are asyncio
code. Both run in one thread when trio is the guest of an asyncio event loop
(``trio.lowlevel.start_guest_run``): asyncio steps are ordinary tasks of that
loop, trio's tasks run between its callbacks, and nothing of the process's
asyncio is replaced, so a library may create and run loops of its own in any
thread. The kernel and ``seqtool run`` start that way (:func:`run`);
``await node.start()`` from asyncio code (``asyncio.run``, a Jupyter cell) makes
the running loop the host (:func:`run_as_guest`).

Under ``trio.run`` alone no asyncio loop runs in the thread: asyncio steps then
run on a loop of their own in a helper thread (see :func:`open_asyncio_loop`).
"""
from __future__ import annotations

import asyncio
import contextlib
import threading
import types

import outcome
import trio


def run(async_fn, *args, clock=None, instruments=()):
    """Like ``trio.run``, with trio the guest of a new asyncio loop in this thread (``asyncio.run``).

    The signature is ``trio.run``'s, so pytest-trio can run tests this way too.
    """
    return asyncio.run(run_as_guest(async_fn, *args, clock=clock, instruments=instruments,
                                    host_uses_signal_set_wakeup_fd=False))


async def run_as_guest(async_fn, *args, **trio_options):
    """(asyncio) Run the trio function ``async_fn(*args)`` in this thread, as the guest of the running
    loop, and return its result.

    When a trio run is already the guest of this loop, ``async_fn`` runs as a task of that run.
    Cancelling the calling asyncio task cancels the trio code and waits until it has unwound.
    ``trio_options`` go to ``trio.lowlevel.start_guest_run``; by default trio leaves the
    process's signal wake-up descriptor to the host.
    """
    loop = asyncio.get_running_loop()
    finished = loop.create_future()
    scope = trio.CancelScope()

    async def guest():
        with scope:
            return await async_fn(*args)

    if trio.lowlevel.in_trio_run():
        trio.lowlevel.spawn_system_task(_deliver_outcome, guest, finished.set_result, name=async_fn)
    else:
        trio_options.setdefault("host_uses_signal_set_wakeup_fd", True)
        trio.lowlevel.start_guest_run(
            guest, run_sync_soon_threadsafe=loop.call_soon_threadsafe, run_sync_soon_not_threadsafe=loop.call_soon,
            done_callback=finished.set_result, **trio_options,
        )
    try:
        result = await asyncio.shield(finished)
    except asyncio.CancelledError:
        scope.cancel()
        while not finished.done():
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.shield(finished)
        raise
    return result.unwrap()


async def _deliver_outcome(async_fn, deliver):
    deliver(await outcome.acapture(async_fn))


@contextlib.asynccontextmanager
async def open_asyncio_loop():
    """(trio) The asyncio loop that asyncio steps run on, for as long as the block lasts.

    It is the loop hosting this trio run when there is one; else (``trio.run``) a loop
    of its own in a helper thread, started when a first step needs it.
    """
    try:
        hosting = asyncio.get_running_loop()
    except RuntimeError:
        helper = _LoopThread()
        try:
            yield AsyncioLoop(helper)
        finally:
            with trio.CancelScope(shield=True):
                await helper.close()
    else:
        yield AsyncioLoop(hosting)


class AsyncioLoop:
    """An asyncio loop seen from trio: run coroutines on it as asyncio tasks and wait for them.

    ``same_thread`` tells whether the loop hosts trio; only then may trio code await
    asyncio futures itself (:meth:`drive`).
    """

    def __init__(self, loop):
        self.same_thread = not isinstance(loop, _LoopThread)
        self._loop = loop
        if self.same_thread:
            self._in_loop = self._in_trio = _call
        else:
            self._in_loop = loop.call
            self._in_trio = trio.lowlevel.current_trio_token().run_sync_soon

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        return self._loop if self.same_thread else self._loop.loop

    async def run(self, coro):
        """(trio) ``await coro`` in a new asyncio task of this loop, in the calling trio task's context
        (its context variables); the coroutine's result.

        Cancelling the trio task cancels the asyncio task, waits until it has ended (its
        clean-up done), then raises ``trio.Cancelled``.
        """
        tasks = []

        def start(wake):
            task = self.loop.create_task(coro)
            task.add_done_callback(wake)
            tasks.append(task)

        await self._wait(start, lambda: tasks[0].cancel())
        return tasks[0].result()

    async def drive(self, coro):
        """(trio) Run ``coro`` in the calling trio task, where it may await trio and asyncio objects alike.

        An asyncio future it awaits is waited for by trio (cancelled, and the coroutine sees
        ``trio.Cancelled``, when the trio task is). Only the loop hosting trio can be awaited
        this way, and what needs a current asyncio task (``asyncio.timeout``) cannot be used.
        """
        if not self.same_thread:
            raise RuntimeError("a step that awaits both trio and asyncio needs trio to run as the guest of an "
                               "asyncio loop (asyncio.run, or seqkernel.host.run), not under trio.run alone")
        next_send = outcome.Value(None)
        while True:
            try:
                awaited = next_send.send(coro)
            except StopIteration as returned:
                return returned.value
            if awaited is None:  # asyncio's bare yield: ``await asyncio.sleep(0)``
                next_send = await outcome.acapture(trio.lowlevel.checkpoint)
            elif asyncio.isfuture(awaited):
                awaited._asyncio_future_blocking = False
                next_send = await outcome.acapture(self._wait, awaited.add_done_callback, awaited.cancel)
            else:  # one of trio's own
                next_send = await outcome.acapture(_pass_to_trio, awaited)

    async def _wait(self, start, cancel):
        """(trio) Call ``start(wake)`` in the loop's thread and wait until ``wake`` is called; when
        cancelled meanwhile, call ``cancel()`` there, wait for ``wake`` all the same, and raise
        ``trio.Cancelled``."""
        waiter = trio.lowlevel.current_task()
        in_trio = self._in_trio
        self._in_loop(start, lambda _: in_trio(trio.lowlevel.reschedule, waiter))

        def abort(_):
            self._in_loop(cancel)
            return trio.lowlevel.Abort.FAILED  # rescheduled by ``wake``

        await trio.lowlevel.wait_task_rescheduled(abort)
        await trio.lowlevel.checkpoint_if_cancelled()


def _call(fn, *args):
    return fn(*args)


@types.coroutine
def _pass_to_trio(message):
    return (yield message)


class _LoopThread:
    """An asyncio loop of its own in a helper thread (``asyncio.run``), started on first use."""

    def __init__(self):
        self._thread = None
        self._started = threading.Event()
        self.loop = None
        self._stop = None

    def _serve(self):
        async def until_stopped():
            self.loop = asyncio.get_running_loop()
            self._stop = self.loop.create_future()
            self._started.set()
            await self._stop

        asyncio.run(until_stopped())

    def _ensure_started(self):
        if self._thread is None:
            self._thread = threading.Thread(target=self._serve, name="seq asyncio steps", daemon=True)
            self._thread.start()
            self._started.wait()

    def call(self, fn, *args):
        """Call ``fn(*args)`` in the loop's thread, soon."""
        self._ensure_started()
        self.loop.call_soon_threadsafe(fn, *args)

    async def close(self):
        """Stop the loop (its tasks still running are cancelled) and wait for its thread to end."""
        if self._thread is None:
            return
        self.loop.call_soon_threadsafe(self._stop.set_result, None)
        await trio.to_thread.run_sync(self._thread.join, abandon_on_cancel=True)
