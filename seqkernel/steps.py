"""Calling a step: a plain function, or a coroutine function written for asyncio, trio or both.

Scripts written for the manual are pure asyncio: their coroutines run as real
asyncio tasks of the loop that hosts trio (:mod:`seqkernel.host`), so
``asyncio.current_task()``, ``asyncio.timeout()`` and ``except
asyncio.CancelledError`` behave exactly as under ``asyncio.run`` (the engine
runs consecutive asyncio steps of a sequence in one task, see
:mod:`seqkernel.execution`). A coroutine whose code refers to trio
(``trio.sleep``, ``from trio import ...``) runs as trio code in the engine's
task; when it refers to asyncio as well, it runs there too and awaits asyncio
objects through the hosting loop (:meth:`AsyncioLoop.drive`). A step can also
declare its flavour with :func:`trio_step` / :func:`asyncio_step`.

A plain function runs in a worker thread, as the manual's 2.3 says, so a
blocking call holds up neither the other branches nor ``abort``; its context
variables (``Sequence.current_seq``, ``Loop.index``) are those of its node.
"""
import functools
import inspect
import types
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from typing import Any, Final, Literal, TypeAlias, TypeVar

import trio

from .host import AsyncioLoop
from .log import lib_logger

#: A step: a coroutine function or a plain function, called with no arguments (manual 2.3). What it
#: returns (what its coroutine returns) becomes its node's ``result``.
Step: TypeAlias = Callable[[], Awaitable[Any]] | Callable[[], Any]
#: How a leaf's step is called: ``await call(fn, loop)`` is the step's result.
StepCaller: TypeAlias = Callable[[Step, AsyncioLoop], Awaitable[Any]]
Flavour: TypeAlias = Literal["trio", "asyncio", "mixed"]

TRIO: Final = "trio"
ASYNCIO: Final = "asyncio"
MIXED: Final = "mixed"
_FLAVOUR_ATTR = "__seq_flavour__"
_flavour_cache: dict[types.CodeType, Flavour] = {}

_T = TypeVar("_T")
_CoroutineFunction = TypeVar("_CoroutineFunction", bound=Callable[..., Awaitable[Any]])


def trio_step(fn: _CoroutineFunction) -> _CoroutineFunction:
    """Mark a coroutine function as a trio step (it may await asyncio objects too)."""
    setattr(fn, _FLAVOUR_ATTR, TRIO)
    return fn


def asyncio_step(fn: _CoroutineFunction) -> _CoroutineFunction:
    """Mark a coroutine function as a pure asyncio step."""
    setattr(fn, _FLAVOUR_ATTR, ASYNCIO)
    return fn


class StepExit(Exception):
    """``sys.exit()`` called in a step: an error of that step, never an exit of the engine."""

    def __init__(self, original: SystemExit):
        super().__init__(f"SystemExit: {original.code}")
        self.original = original


def _libraries(code: types.CodeType, namespace: Mapping[str, Any], found: set[Flavour]) -> set[Flavour]:
    """Which of trio and asyncio the names used by ``code`` (and its nested code) come from."""
    for name in code.co_names:
        value = namespace.get(name)
        if value is None:
            continue
        module_name = value.__name__ if isinstance(value, types.ModuleType) else getattr(value, "__module__", "")
        if not isinstance(module_name, str):
            continue
        if module_name == "trio" or module_name.startswith(("trio.", "trio_")):
            found.add(TRIO)
        elif module_name == "asyncio" or module_name.startswith("asyncio."):
            found.add(ASYNCIO)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            _libraries(const, namespace, found)
    return found


def _declared_flavour(fn: object) -> Flavour | None:
    while fn is not None:
        flavour = getattr(fn, _FLAVOUR_ATTR, None)
        if flavour:
            return flavour
        fn = getattr(fn, "func", None) or getattr(fn, "__func__", None)
    return None


def _flavour(fn: object, code: types.CodeType | None, namespace: Mapping[str, Any]) -> Flavour:
    """How to run code: ``asyncio``, ``trio``, or ``mixed`` (trio awaiting asyncio too).

    Decided once per code object, from the names the code uses, unless the
    step declared its flavour with :func:`trio_step` or :func:`asyncio_step`.
    """
    declared = _declared_flavour(fn)
    if declared:
        return MIXED if declared == TRIO else declared
    if code is None:
        return MIXED
    flavour = _flavour_cache.get(code)
    if flavour is None:
        used = _libraries(code, namespace, set())
        flavour = ASYNCIO if TRIO not in used else (MIXED if ASYNCIO in used else TRIO)
        _flavour_cache[code] = flavour
    return flavour


def coroutine_flavour(coro: Coroutine[Any, Any, Any]) -> Flavour:
    """The flavour of a coroutine object (one that a plain function gave)."""
    frame = getattr(coro, "cr_frame", None)
    return _flavour(None, getattr(coro, "cr_code", None), frame.f_globals if frame is not None else {})


def is_coroutine_function(fn: object) -> bool:
    """True for a coroutine function, also through partials, bound methods and ``async def __call__``."""
    return inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(getattr(fn, "__call__", None))


def _function_of(fn: Callable[..., Any]) -> Callable[..., Any]:
    """The function whose code runs when ``fn`` is called (through partials, bound methods, ``__call__``)."""
    target = fn
    while True:
        if isinstance(target, functools.partial):
            target = target.func
        elif inspect.ismethod(target):
            target = target.__func__
        else:
            call = getattr(target, "__call__", None)
            if inspect.isfunction(target) or not inspect.iscoroutinefunction(call):
                return target
            target = call


def step_flavour(fn: Step) -> Flavour | None:
    """How to run the step ``fn``: ``asyncio``, ``trio`` or ``mixed`` for a coroutine function,
    None for a plain function."""
    if not is_coroutine_function(fn):
        return None
    target = _function_of(fn)
    return _flavour(fn, getattr(target, "__code__", None), getattr(target, "__globals__", {}))


async def _asyncio_guard(awaitable: Awaitable[_T]) -> _T:
    try:
        return await awaitable
    except SystemExit as exc:  # (in an asyncio task it would stop the loop itself)
        raise StepExit(exc) from exc


async def call_asyncio(fn: Step, loop: AsyncioLoop) -> Any:
    """Run the asyncio coroutine function ``fn`` as an asyncio task of ``loop``."""
    return await loop.run(_asyncio_guard(fn()))


async def call_trio(fn: Step, loop: AsyncioLoop) -> Any:
    """Run the trio coroutine function ``fn`` in the engine's task."""
    try:
        return await fn()
    except SystemExit as exc:
        raise StepExit(exc) from exc


async def call_mixed(fn: Step, loop: AsyncioLoop) -> Any:
    """Run a coroutine function awaiting trio and asyncio alike in the engine's task (``loop.drive``)."""
    try:
        return await loop.drive(fn())
    except SystemExit as exc:
        raise StepExit(exc) from exc


def _on_its_loop(result: object, loop: AsyncioLoop) -> Awaitable[Any] | None:
    """What awaits ``result`` (what a plain function gave) on the loop it is written for, or None
    when it is not awaitable."""
    if type(result) is types.CoroutineType:
        flavour = coroutine_flavour(result)
        if flavour == TRIO:
            return result
        return loop.run(_asyncio_guard(result)) if flavour == ASYNCIO else loop.drive(result)
    if inspect.isawaitable(result):
        return loop.run(_asyncio_guard(result))
    return None


def _guarded(fn: Callable[[], _T]) -> _T:
    try:
        return fn()
    except SystemExit as exc:
        raise StepExit(exc) from exc


async def _in_thread(fn: Callable[[], _T]) -> _T:
    """``fn()`` in a worker thread; on cancel the thread is left to finish, and the caller goes on at once."""
    try:
        return await trio.to_thread.run_sync(_guarded, fn, abandon_on_cancel=True)
    except trio.Cancelled:
        lib_logger(step=describe(fn)).warning("cancelled while running in a thread; the thread is left to finish")
        raise


async def call_function(fn: Step, loop: AsyncioLoop) -> Any:
    """Call the plain function ``fn`` in a worker thread; when it gives an awaitable, await that
    on the loop it is written for."""
    result = await _in_thread(fn)
    awaitable = None if result is None else _on_its_loop(result, loop)
    return result if awaitable is None else await awaitable


_CALLERS: dict[Flavour | None, StepCaller] = {ASYNCIO: call_asyncio, TRIO: call_trio, MIXED: call_mixed, None: call_function}


def caller(fn: Step) -> StepCaller:
    """The coroutine function that runs the step ``fn``: ``await caller(fn)(fn, loop)``."""
    return _CALLERS[step_flavour(fn)]


async def call_step(fn: Step, loop: AsyncioLoop) -> Any:
    """Run the step ``fn``: a coroutine function on the loop it is written for, a plain function in a thread."""
    return await caller(fn)(fn, loop)


async def call_step_in_thread(fn: Step, loop: AsyncioLoop) -> Any:
    """Run a plain function in a worker thread (``ActionInThread``)."""
    result = await _in_thread(fn)
    if inspect.iscoroutine(result):
        result.close()
        raise TypeError(f"{describe(fn)} is a coroutine function: use Action, not ActionInThread")
    return result


def describe(fn: object) -> str:
    """A readable name for a callable: its qualified name, through partials and bound methods."""
    while isinstance(fn, functools.partial) and not hasattr(fn, "__qualname__"):
        fn = fn.func
    return getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or type(fn).__name__
