"""Sequencers that drive sequencers: a step's handle on another sequencer, by name.

The sequencer that drives an observing mode (its ESW sequencer) reaches the others
through the location service and drives each as an operator would, with the
protocol's commands::

    from seq.lib import Parallel, get_sequencer

    IRIS = get_sequencer("IRIS@IRIS_ifsonly")
    TCS = get_sequencer("TCS@IRIS_ifsonly")

    async def prepare():
        await IRIS.load_ob("iris_dither.json")     # read here, sent to IRIS
        await IRIS.set_variable("exptime", 30)     # in the OB loaded last

    def create_sequence(*args, **kw):
        return Sequence.create(prepare, Parallel.create(TCS.run, IRIS.run), **kw)

``run()`` executes what the other sequencer has loaded (its ``run`` command) and
returns when that run ends. A run that fails there raises :class:`RemoteError` in the
calling step, naming the sequencer, its node and its error; aborting the calling step
(an ``abort``, or a failing branch beside it in a ``Parallel``) aborts the remote run.
The remote sequencer's events stay where they belong: on its own GUI and shells.

Each call opens a connection of its own (the address is looked up once, and again
when the sequencer has moved), so a handle can live at module level and be used by
any step: asyncio steps and trio steps alike.
"""
from __future__ import annotations

import contextlib
import json
import math
import os
import shlex
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from functools import partial
from typing import Any, TypeVar

import trio

import protocol
from seqclient import Connection, ConnectionClosed, Target, connect_to, resolve
from seqclient import access
from seqlocation.errors import LocationError, unwrapped

from . import host

#: Seconds for a sequencer to take a connection (TCP and the handshake).
CONNECT_TIMEOUT = 10.0
#: While a remote run is quiet, its server is asked this often whether it is still there...
LIVENESS_PERIOD = 1.0
#: ...and given this long to answer before the run is given up as lost.
LIVENESS_TIMEOUT = 5.0
#: Seconds to tell the remote sequencer to abort when the calling step is cancelled.
ABORT_TIMEOUT = 5.0
#: How a run ends, in the protocol's ``run`` events (``paused`` waits for an operator there).
FINISHED, ERROR, ABORTED = "finished", "error", "aborted"

T = TypeVar("T")


class RemoteError(Exception):
    """Another sequencer failed to do what a step asked. ``sequencer`` is its name; for a
    failed run, ``node`` and ``sn`` name its node that raised, ``exception`` is that error
    (``Type: message``) and ``traceback`` its traceback there."""

    def __init__(self, message: str, *, sequencer: str, node: str | None = None, sn: int | None = None,
                 exception: str | None = None, traceback: str | None = None) -> None:
        super().__init__(message)
        self.sequencer = sequencer
        self.node = node
        self.sn = sn
        self.exception = exception
        self.traceback = traceback


RemoteError.__module__ = "seq.lib"  # where scripts import it from: their tracebacks say seq.lib.RemoteError


async def _as_trio(work: Callable[[], Awaitable[T]]) -> T:
    """``await work()``, trio code, from a trio step or from an asyncio one (an asyncio task
    hands it to the trio run its loop hosts; cancelling the task cancels it)."""
    if trio.lowlevel.in_trio_task():
        return await work()
    result: T = await host.run_as_guest(work)
    return result


class RemoteSequencer:
    """A handle on the sequencer (or sequence component) ``name``, found in the location
    service: ``redis`` as ``--redis``, else ``SEQ_REGISTRY`` (a component's kernel inherits
    the registry of its server), else the embedded registry. Nothing is looked up until
    a method is called. Every method raises :class:`RemoteError` when the sequencer cannot
    be reached or refuses the command."""

    def __init__(self, name: str, *, redis: str | None = None) -> None:
        self.name = name
        self._redis = redis
        self._target: Target | None = None

    def __repr__(self) -> str:
        return f"RemoteSequencer({self.name!r})"

    async def command(self, line: str) -> protocol.Reply:
        """Any command line of the protocol (section 8) on that sequencer; its reply."""
        return await _as_trio(partial(self._command, line))

    async def load(self, *modules: str) -> str:
        """Load script modules there (named as Python imports them on that sequencer's host)."""
        return (await self.command(shlex.join(["load", *modules]))).output

    async def load_ob(self, ob: str | os.PathLike[str] | Mapping[str, Any]) -> str:
        """Load an OB there: a JSON file of this host (read here and sent), JSON text, or a dict."""
        return (await self.command(shlex.join(["obdata", _ob_json(ob)]))).output

    async def set_variable(self, name: str, value: object, *, ob: int | None = None,
                           template: int | None = None) -> None:
        """Set a template variable of an OB loaded there: in the OB of index ``ob`` (default: the
        last one loaded), in its template of index ``template`` or else in every template that has it."""
        await _as_trio(partial(self._set_variable, name, value, ob, template))

    async def run(self) -> None:
        """Run what that sequencer has loaded, from the start, and return when the run has finished.

        A failed run raises RemoteError with the remote node and error; so does a run aborted
        there, and a sequencer lost meanwhile (its server gone, or silent for LIVENESS_TIMEOUT
        seconds). A run that pauses there waits for its operator. Cancelling the calling step
        aborts the remote run."""
        await _as_trio(self._run)

    async def abort(self) -> None:
        """Abort what runs there."""
        await self.command("abort")

    # -- the trio side ---------------------------------------------------------------------

    async def _command(self, line: str) -> protocol.Reply:
        async with self._connection() as connection:
            return await self._checked(connection, line)

    async def _set_variable(self, name: str, value: object, ob: int | None, template: int | None) -> None:
        async with self._connection() as connection:
            obs: list[dict[str, Any]] = (await self._checked(connection, "lsob")).data or []
            if not obs:
                raise RemoteError(f"{self.name} has no OB loaded: load one there first", sequencer=self.name)
            chosen = obs[-1]["index"] if ob is None else ob
            rows: list[dict[str, Any]] = (await self._checked(connection, "lsvar")).data or []
            matching = [row for row in rows if row["ob"] == chosen and row["name"] == name
                        and (template is None or row["template"] == template)]
            if not matching:
                where = f"OB {chosen}" + ("" if template is None else f" template {template}")
                known = sorted({row["name"] for row in rows if row["ob"] == chosen})
                raise RemoteError(f"{self.name} has no template variable {name!r} in {where} (its variables: "
                                  f"{', '.join(known) or 'none'})", sequencer=self.name)
            for row in matching:
                await self._checked(connection, shlex.join(
                    ["setvar", str(row["ob"]), str(row["template"]), name, _value_text(value)]))

    async def _run(self) -> None:
        running = False
        try:
            async with self._connection() as connection:
                events = connection.events()
                _drain(events)
                await self._checked(connection, "run", during="the run")  # lost before its reply: lost in the run
                running = True
                await self._follow(connection, events)
                running = False
        except RemoteError:
            running = False  # it ended there, or it is lost: nothing to abort
            raise
        finally:
            if running:  # the calling step was cancelled (aborted, or a branch beside it failed)
                with trio.CancelScope(shield=True), trio.move_on_after(ABORT_TIMEOUT), \
                        contextlib.suppress(RemoteError):
                    await self._command("abort")

    async def _follow(self, connection: Connection, events: trio.MemoryReceiveChannel[dict[str, Any]]) -> None:
        """Follow the run's events until it ends: return when it finished, raise RemoteError otherwise."""
        errors: list[dict[str, Any]] = []
        while True:
            event: dict[str, Any] | None = None
            with trio.move_on_after(LIVENESS_PERIOD):
                try:
                    event = await events.receive()
                except trio.EndOfChannel:
                    raise self._lost(connection.closed_reason or "the connection ended") from None
            if event is None:
                await self._check_alive(connection)
            elif event.get("type") == "event" and self._ends_run(event, errors):
                return

    def _ends_run(self, event: dict[str, Any], errors: list[dict[str, Any]]) -> bool:
        """Whether ``event`` ends the run well; RemoteError when it ends it otherwise."""
        kind = event.get("kind")
        if kind == "error":
            errors.append(event)
        elif kind == "tree" and event.get("action") in ("restored", "cleared"):
            why = "was cleared" if event["action"] == "cleared" else "lost its work: its shell and kernel restarted"
            raise RemoteError(f"{self.name} {why} during the run", sequencer=self.name)
        elif kind == "run" and event.get("status") == ABORTED:
            raise RemoteError(f"the run on {self.name} was aborted there", sequencer=self.name)
        elif kind == "run" and event.get("status") == ERROR:
            raise self._failure(errors)
        return kind == "run" and event.get("status") == FINISHED

    def _failure(self, errors: list[dict[str, Any]]) -> RemoteError:
        if not errors:
            return RemoteError(f"the run on {self.name} ended in error", sequencer=self.name)
        first = errors[0]
        return RemoteError(f"{self.name} failed in ({first.get('sn')}) {first.get('name')}: {first.get('exception')}",
                           sequencer=self.name, node=first.get("name"), sn=first.get("sn"),
                           exception=first.get("exception"), traceback=first.get("traceback"))

    async def _check_alive(self, connection: Connection) -> None:
        """Ask the server something it answers itself: silence means it (or its host) is gone."""
        with trio.move_on_after(LIVENESS_TIMEOUT):
            try:
                await connection.command("getstatus")
            except ConnectionClosed as exc:
                raise self._lost(str(exc)) from None
            return
        raise self._lost(f"no answer for {LIVENESS_TIMEOUT:g} s")

    def _lost(self, why: str, during: str = "the run") -> RemoteError:
        where = f" at {self._target.address}" if self._target else ""
        return RemoteError(f"lost {self.name}{where} during {during}: {why}", sequencer=self.name)

    async def _checked(self, connection: Connection, line: str, during: str | None = None) -> protocol.Reply:
        try:
            reply = await connection.command(line)
        except ConnectionClosed as exc:
            raise self._lost(str(exc), during or _verb(line)) from None
        if not reply.ok:
            raise RemoteError(f"{self.name} refused {_verb(line)}: {reply.error}", sequencer=self.name)
        return reply

    @contextlib.asynccontextmanager
    async def _connection(self) -> AsyncIterator[Connection]:
        """A connection to the sequencer: at the address found before, else (or when it has moved there)
        at the address the location service gives now; RemoteError when none answers in CONNECT_TIMEOUT."""
        with unwrapped(), trio.CancelScope(deadline=trio.current_time() + CONNECT_TIMEOUT) as connecting:
            async with contextlib.AsyncExitStack() as stack:  # (the connection's nursery would wrap errors in groups)
                connection = await self._connect(stack)
                connecting.deadline = math.inf
                yield connection
        if connecting.cancelled_caught:
            raise RemoteError(f"cannot reach {self.name}: no answer within {CONNECT_TIMEOUT:g} s", sequencer=self.name)

    async def _connect(self, stack: contextlib.AsyncExitStack) -> Connection:
        if self._target is not None:
            with contextlib.suppress(OSError, ConnectionClosed):
                return await self._open(stack, self._target)
        self._target = target = await self._resolve()
        try:
            return await self._open(stack, target)
        except (OSError, ConnectionClosed) as exc:
            raise RemoteError(f"cannot reach {self.name} at {target.address}: {exc}", sequencer=self.name) from None

    @staticmethod
    async def _open(stack: contextlib.AsyncExitStack, target: Target) -> Connection:
        return await stack.enter_async_context(connect_to(
            target, client=f"seq.lib (pid {os.getpid()})", token=access.explicit_token()))

    async def _resolve(self) -> Target:
        try:
            return await resolve(self.name, self._redis)
        except LocationError as exc:
            raise RemoteError(f"cannot find {self.name}: {exc}", sequencer=self.name) from None


def get_sequencer(name: str, *, redis: str | None = None) -> RemoteSequencer:
    """A handle on another sequencer (``IRIS@IRIS_ifsonly``, TMT's ``IRIS.IRIS_ifsonly``) or
    sequence component, for the steps of a driving script (see :class:`RemoteSequencer`)."""
    return RemoteSequencer(name, redis=redis)


def _drain(events: trio.MemoryReceiveChannel[dict[str, Any]]) -> None:
    """Drop the events that came before the command about to be sent."""
    with contextlib.suppress(trio.WouldBlock, trio.EndOfChannel):
        while True:
            events.receive_nowait()


def _ob_json(ob: str | os.PathLike[str] | Mapping[str, Any]) -> str:
    if isinstance(ob, Mapping):
        return json.dumps(ob)
    if isinstance(ob, str) and ob.lstrip().startswith("{"):
        return ob
    with open(ob, encoding="utf-8") as file:
        return file.read()


def _value_text(value: object) -> str:
    """A value as ``setvar`` takes it (booleans as true or false)."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def _verb(line: str) -> str:
    return line.split(maxsplit=1)[0] if line.strip() else line
