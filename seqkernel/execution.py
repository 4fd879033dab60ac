"""One execution of a tree of nodes: states, pauses, errors and cancellation.

A :class:`Run` walks a tree the way each container's body asks (children one
after the other, or together in a nursery) and publishes every state change as
it happens. The whole run lives in one cancel scope: a failed step marks itself
``FINISHED|ERROR`` and cancels that scope, so the steps still running unwind as
``CANCELLED`` and the containers on the failed node's path as ``CANCELLED|ERROR``;
``abort`` cancels the same scope. A later run in *retry* or *continue* mode
passes over the nodes that already finished, which is how both commands resume.
"""
import asyncio
import math
import time

import trio

from . import context
from .host import open_asyncio_loop
from .errors import describe_exception, error_record
from .log import lib_logger
from .records import state_record, task_record
from .states import RTFLAG, State
from .steps import StepExit

SLICE = 0.001  # seconds steps run back to back in one asyncio task before the event loop turns
FRESH = "fresh"
RETRY = "retry"
CONTINUE = "continue"

_DONE = {
    FRESH: frozenset({State.FINISHED, State.FINISHED_SKIP}),
    RETRY: frozenset({State.FINISHED, State.FINISHED_SKIP}),
    CONTINUE: frozenset({State.FINISHED, State.FINISHED_SKIP, State.FINISHED_ERROR}),
}


def _ignore(record):
    pass


def _raised_while_cancelled(node, exc):
    """A step's clean-up raised while the run was being cancelled: the step is cancelled all the same."""
    lib_logger(node=node.name, sn=node.sn).warning("raised while being cancelled", error=describe_exception(exc))


class Run:
    """Executes a tree once, publishing what happens through ``publish(record)``.

    ``loop`` (a :class:`seqkernel.host.AsyncioLoop`) is where asyncio steps run.

    ``on_blocked(blocked)`` is called when every branch of the run is waiting
    for an operator (a paused node or an open dialog), and again when one of
    them is released.
    """

    def __init__(self, loop, publish=None, *, mode=FRESH, task_logs=True, on_blocked=None):
        self.loop = loop
        self.batches_asyncio = loop.same_thread
        self.publish = publish or _ignore
        self.done_states = _DONE[mode]
        self.task_logs = task_logs
        self.on_blocked = on_blocked or (lambda blocked: None)
        self.scope = trio.CancelScope()
        self.failed = None
        self.failure = None
        self.error = None
        self.error_path = set()
        self.aborted = False
        self.blocked = False
        self.active = 1
        self.waiting = {}
        self.answers = {}
        self.asking = {}  # open dialogs: node -> the request published
        self._slice_ends = time.monotonic() + SLICE  # see share_the_loop

    # -- states ---------------------------------------------------------------

    def set_state(self, node, state):
        node.state = state
        self.publish(state_record(node))

    def is_done(self, node) -> bool:
        return node.state in self.done_states

    def reschedule(self, nodes):
        """Mark ``nodes`` and everything below them as to be run again (a loop's next iteration)."""
        for top in nodes:
            for node in top.walk():
                node.restart()
                if node.state is not State.SCHEDULED:
                    self.set_state(node, State.SCHEDULED)

    # -- walking the tree -----------------------------------------------------

    async def execute(self, node, branches=None):
        """Execute one node, honouring its flags; a node already done is passed over.

        ``branches`` counts the branches of a Parallel still running, when ``node`` is one.
        A node cancelled while it waits to be resumed becomes CANCELLED too (its flag stays).
        """
        if node.state in self.done_states:
            return
        try:
            if node.flags:
                if node.flags & RTFLAG.SKIP:
                    self.set_state(node, State.FINISHED_SKIP)
                    return
                if node.flags & RTFLAG.PAUSE:
                    await self.hold(node, State.PAUSED)
                    if node.flags & RTFLAG.SKIP:
                        self.set_state(node, State.FINISHED_SKIP)
                        return
            self.set_state(node, State.RUNNING)
            if node.call is None:
                await node._body(self)
            else:  # a leaf step: the hot path, without the extra frame of a body
                await self.step(node, node.call, node.fn, self.loop)
        except BaseException:
            if node.state is not State.FINISHED_ERROR:
                self.set_state(node, State.CANCELLED_ERROR if node in self.error_path else State.CANCELLED)
            raise
        else:
            self.set_state(node, State.FINISHED)
        finally:
            if branches is not None:
                self._branch_ended(branches)

    def _joins_asyncio_task(self, node) -> bool:
        return node.asyncio_only and self.batches_asyncio and not node.flags and node.state not in self.done_states

    async def execute_in_order(self, nodes):
        """Execute ``nodes`` one after the other.

        Consecutive asyncio steps run in one asyncio task, one after the other,
        as they would in a plain asyncio program (``await a(); await b()``):
        crossing between trio and asyncio once per step would cost more than
        the steps themselves. (Only on the loop hosting trio; a loop in a helper
        thread runs each asyncio step on its own.)
        """
        index, count = 0, len(nodes)
        while index < count:
            if self._joins_asyncio_task(nodes[index]):
                index = await self._execute_asyncio_steps(nodes, index)
            else:
                await self.execute(nodes[index])
                index += 1

    async def execute_queue(self, container):
        """Execute ``container``'s children one at a time, each time the first one still to run
        (``SCHEDULED``): the children may be moved, removed or added while it runs (the queue)."""
        while (child := next_to_run(container)) is not None:
            await self.execute(child)

    async def _execute_asyncio_steps(self, nodes, index) -> int:
        index, failure = await self.loop.run(self._asyncio_steps(nodes, index))
        if failure is not None:
            self.fail(nodes[index], failure)
            await trio.lowlevel.checkpoint()  # raises Cancelled: the run's scope is cancelled now
        return index

    async def _asyncio_steps(self, nodes, index):
        """(asyncio) Run the asyncio steps from ``index`` on; returns where it stopped, and a step's exception."""
        count = len(nodes)
        while index < count and self._joins_asyncio_task(nodes[index]):
            failure = await self._asyncio_step(nodes[index])
            if failure is not None:
                return index, failure
            index += 1
            await self.share_the_loop()
        return index, None

    async def share_the_loop(self):
        """(asyncio) Between two steps of one asyncio task, let the event loop turn once its slice is used up.

        Steps that never wait (quick ones) would otherwise hold the loop for the whole Sequence
        or Loop: an ``abort`` could not be read, events would not be written but pile up (and be
        dropped), and the kernel would miss its heartbeats.
        """
        if time.monotonic() >= self._slice_ends:
            await asyncio.sleep(0)
            self._slice_ends = time.monotonic() + SLICE

    async def _asyncio_step(self, node):
        """(asyncio) Run one asyncio step in the current asyncio task; returns its exception, if it raised one."""
        self.set_state(node, State.RUNNING)
        token = context.current_node.set(node)
        if self.task_logs:
            self.publish(task_record("Starting Task: ", node))
        try:
            result = await node.fn()
        except BaseException as exc:
            if not asyncio.current_task().cancelling():  # not cancelled by the engine: the step failed
                return exc
            if not isinstance(exc, asyncio.CancelledError):
                _raised_while_cancelled(node, exc)
            self.set_state(node, State.CANCELLED)
            raise asyncio.CancelledError() from exc
        finally:
            context.current_node.reset(token)
        node.result = result
        if self.task_logs:
            self.publish(task_record("End Task: ", node))
        self.set_state(node, State.FINISHED)
        return None

    async def execute_turns(self, loop):
        """Run a Loop's turns (``loop.turns``); when its condition and body are asyncio steps, all
        in one asyncio task, as ``while await condition(): await a(); ...`` would run them."""
        if self.batches_asyncio and loop.turns_in_asyncio:
            finished, failure = await self.loop.run(self._asyncio_turns(loop))
            if failure is not None:
                self.fail(*failure)
                await trio.lowlevel.checkpoint()  # raises Cancelled: the run's scope is cancelled now
            if finished:
                return
        await loop.turns(self)  # (goes on from where the asyncio task stopped)

    async def _asyncio_turns(self, loop):
        """(asyncio) Run the loop's turns here: ``(finished, failure)``, failure a (node, exception) pair.

        Stops unfinished when a node gets a runtime flag, which only trio can honour.
        """
        try:
            await loop.turns(_AsyncioTurns(self))
        except _HandBack:
            return False, None
        except _StepFailed as failed:
            return False, failed.args
        return True, None

    async def execute_together(self, nodes):
        """Execute ``nodes`` in parallel: one trio task each, except asyncio steps,
        which run as asyncio tasks of their own under one trio task."""
        asyncio_steps, others = [], []
        for node in nodes:
            (asyncio_steps if self._joins_asyncio_task(node) else others).append(node)
        branches = len(others) + bool(asyncio_steps)
        remaining = [branches]
        self.active += branches - 1
        async with trio.open_nursery() as nursery:
            for node in others:
                nursery.start_soon(self.execute, node, remaining)
            if asyncio_steps:
                nursery.start_soon(self._execute_asyncio_together, asyncio_steps, remaining)

    async def _execute_asyncio_together(self, nodes, branches):
        try:
            await self.loop.run(self._asyncio_together(nodes))
            if self.scope.cancel_called:
                await trio.lowlevel.checkpoint()  # a step failed: the run's scope is cancelled
        finally:
            self._branch_ended(branches)

    async def _asyncio_together(self, nodes):
        """(asyncio) Run asyncio steps together, each in an asyncio task of its own.

        The tasks count themselves down, and the last one to end sets one
        future, rather than each reporting through a done callback of its own
        (as ``asyncio.gather`` would).
        """
        loop = asyncio.get_running_loop()
        all_ended = loop.create_future()
        running = [len(nodes)]

        async def branch(node):
            try:
                failure = await self._asyncio_step(node)
                if failure is not None:
                    self.fail(node, failure)
            finally:
                running[0] -= 1
                if not running[0] and not all_ended.done():  # (cancelled with the run)
                    all_ended.set_result(None)

        tasks = [loop.create_task(branch(node)) for node in nodes]
        try:
            await all_ended
        except asyncio.CancelledError:
            for task in tasks:
                task.cancel()
            await asyncio.wait(tasks)  # a task cancelled before its start never counts down
            raise

    def _branch_ended(self, remaining):
        remaining[0] -= 1
        if remaining[0]:
            self._deactivate()  # the last branch hands its activity back to the parent

    async def step(self, node, call, *args):
        """Run a leaf's step; on an exception the node fails and the run is cancelled."""
        token = context.current_node.set(node)
        if self.task_logs:
            self.publish(task_record("Starting Task: ", node))
        try:
            result = await call(*args)
        except (trio.Cancelled, KeyboardInterrupt, GeneratorExit):
            raise
        except BaseException as exc:
            if trio.current_effective_deadline() == -math.inf:
                _raised_while_cancelled(node, exc)
                await trio.lowlevel.checkpoint()  # raises Cancelled
            self.fail(node, exc)
            await trio.lowlevel.checkpoint()  # raises Cancelled: the run's scope is cancelled now
            raise
        finally:
            context.current_node.reset(token)
        node.result = result
        if self.task_logs:
            self.publish(task_record("End Task: ", node))

    # -- failures, aborts and waiting for the operator ------------------------

    def fail(self, node, exc):
        """``node``'s step raised ``exc``: the node failed, and the run stops."""
        if isinstance(exc, SystemExit):
            exc = StepExit(exc)
        self.failed = node
        self.failure = exc
        parent = node.parent
        while parent is not None:
            self.error_path.add(parent)
            parent = parent.parent
        self.set_state(node, State.FINISHED_ERROR)
        self.error = error_record(node, exc)
        self.publish(self.error)
        self.scope.cancel()

    def abort(self):
        self.aborted = True
        self.scope.cancel()

    async def hold(self, node, state=None):
        """Wait for an operator to release ``node`` (a pause, or a dialog's answer)."""
        if state is not None:
            self.set_state(node, state)
        event = trio.Event()
        self.waiting[node] = event
        self._deactivate()
        try:
            await event.wait()
        finally:
            del self.waiting[node]
            self.active += 1

    def _deactivate(self):
        """One task fewer is working; when none is and some wait for an operator, the run is blocked."""
        self.active -= 1
        if self.active == 0 and self.waiting and not self.blocked:
            self.blocked = True
            self.on_blocked(True)

    def release(self, node) -> bool:
        event = self.waiting.get(node)
        if event is None:
            return False
        event.set()
        if self.blocked:
            self.blocked = False
            self.on_blocked(False)
        return True

    async def ask(self, dialog) -> bool:
        """Publish a dialog request and wait for its answer: True to perform the extra step."""
        request = self.asking[dialog] = self.dialog_record(dialog, "request")
        try:
            self.publish(request)
            await self.hold(dialog)
        finally:
            del self.asking[dialog]
        return self.answers.pop(dialog)

    def answer(self, dialog, perform: bool) -> bool:
        if dialog not in self.waiting:
            return False
        self.answers[dialog] = perform
        record = self.dialog_record(dialog, "resolved")
        record["answer"] = "perform" if perform else "stop"
        self.publish(record)
        return self.release(dialog)

    @staticmethod
    def dialog_record(dialog, action) -> dict:
        return {
            "kind": "dialog",
            "ts": time.time(),
            "action": action,
            "sn": dialog.sn,
            "name": dialog.name,
            "description": dialog.description,
            "condition_label": dialog.condition_label,
            "step_label": dialog.step_label,
        }

    # -- a whole run ------------------------------------------------------------

    async def execute_top(self, top) -> str:
        """Execute ``top``; returns the outcome: ``finished``, ``error`` or ``aborted``."""
        with self.scope:
            await self.execute(top)
        if self.failed is not None:
            outcome = "error"
        elif self.scope.cancelled_caught or self.aborted:
            outcome = "aborted"
        else:
            outcome = "finished"
        leftover = State.NOT_STARTED if outcome == "finished" else State.CANCELLED
        for node in top.walk():
            if node.state is State.SCHEDULED:
                self.set_state(node, leftover)
        return outcome


class _HandBack(Exception):
    """A node of a loop run in an asyncio task needs trio now (a runtime flag was set on it)."""


class _StepFailed(Exception):
    """A step of a loop run in an asyncio task raised: ``args`` are the node and its exception."""


class _AsyncioTurns:
    """(asyncio) What ``Loop.turns`` needs of a Run, for turns run in one asyncio task."""

    def __init__(self, run):
        self._run = run
        self.reschedule = run.reschedule

    async def execute(self, node):
        run = self._run
        if node.state in run.done_states:
            return
        if not run._joins_asyncio_task(node):
            raise _HandBack
        failure = await run._asyncio_step(node)
        if failure is not None:
            raise _StepFailed(node, failure)
        await run.share_the_loop()

    async def execute_in_order(self, nodes):
        for node in nodes:
            await self.execute(node)


def schedule(top, mode, publish=None, retry_node=None):
    """Prepare a tree for a run: what will run becomes ``SCHEDULED``.

    A fresh run schedules every node and clears results; retry and continue
    schedule what has not finished (retry also the failed node).
    """
    publish = publish or _ignore
    for node in top.walk():
        if mode == FRESH:
            node.result = None
            node.restart()
        elif node.state in _DONE[CONTINUE] and node is not retry_node:
            continue
        node.state = State.SCHEDULED
        publish(state_record(node))


async def run_tree(top):
    """(trio) Run a tree in process (``await node.start()``), raising the exception of a failed step."""
    top.add_endpoints()
    schedule(top, FRESH)
    token = context.root.set(top)
    try:
        async with open_asyncio_loop() as loop:
            run = Run(loop, task_logs=False)
            await run.execute_top(top)
    finally:
        context.root.reset(token)
    if run.failure is not None:
        raise run.failure


def next_to_run(container):
    """The first of ``container``'s children still to run in this run, or None."""
    return next((child for child in container.children if child.state is State.SCHEDULED), None)
