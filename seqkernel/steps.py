"""Calling a step: a plain function, an asyncio coroutine or a trio coroutine.

Scripts written for the manual are pure asyncio: they run as real asyncio tasks
through ``trio_asyncio.aio_as_trio``, so ``asyncio.current_task()``,
``asyncio.timeout()`` and ``except asyncio.CancelledError`` behave exactly as
under ``asyncio.run``. A coroutine whose code refers to trio (``trio.sleep``,
``from trio import ...``) runs as a trio task through
``trio_asyncio.allow_asyncio``, where awaiting asyncio objects works too. A
step can also declare its flavour with :func:`trio_step` / :func:`asyncio_step`.
"""
import functools
import inspect
import types

import trio
import trio_asyncio

from .log import lib_logger

TRIO = "trio"
ASYNCIO = "asyncio"
_FLAVOUR_ATTR = "__seq_flavour__"
_flavour_cache: dict = {}


def trio_step(fn):
    """Mark a coroutine function as a trio step (it may await asyncio objects too)."""
    setattr(fn, _FLAVOUR_ATTR, TRIO)
    return fn


def asyncio_step(fn):
    """Mark a coroutine function as a pure asyncio step."""
    setattr(fn, _FLAVOUR_ATTR, ASYNCIO)
    return fn


class StepExit(Exception):
    """``sys.exit()`` called in a step: an error of that step, never an exit of the engine."""

    def __init__(self, original: SystemExit):
        super().__init__(f"SystemExit: {original.code}")
        self.original = original


def _refers_to_trio(code: types.CodeType, namespace: dict) -> bool:
    for name in code.co_names:
        value = namespace.get(name)
        if value is None:
            continue
        module_name = value.__name__ if isinstance(value, types.ModuleType) else getattr(value, "__module__", "")
        if module_name and (module_name == "trio" or module_name.startswith(("trio.", "trio_"))):
            return True
    return any(
        _refers_to_trio(const, namespace) for const in code.co_consts if isinstance(const, types.CodeType)
    )


def _declared_flavour(fn):
    while fn is not None:
        flavour = getattr(fn, _FLAVOUR_ATTR, None)
        if flavour:
            return flavour
        fn = getattr(fn, "func", None) or getattr(fn, "__func__", None)
    return None


def coroutine_flavour(fn, coro) -> str:
    """Which event loop a step's coroutine is written for (cached per code object)."""
    declared = _declared_flavour(fn)
    if declared:
        return declared
    code = getattr(coro, "cr_code", None)
    if code is None:
        return TRIO
    flavour = _flavour_cache.get(code)
    if flavour is None:
        namespace = coro.cr_frame.f_globals if coro.cr_frame else {}
        flavour = TRIO if _refers_to_trio(code, namespace) else ASYNCIO
        _flavour_cache[code] = flavour
    return flavour


async def _asyncio_guard(coro):
    try:
        return await coro
    except SystemExit as exc:
        raise StepExit(exc) from exc


async def _trio_guard(coro):
    return await coro


async def call_step(fn):
    """Call ``fn()`` and, when it gives a coroutine, run it on the loop it is written for."""
    try:
        result = fn()
        if inspect.iscoroutine(result):
            if coroutine_flavour(fn, result) == ASYNCIO:
                return await trio_asyncio.aio_as_trio(_asyncio_guard(result))
            return await trio_asyncio.allow_asyncio(_trio_guard, result)
        if inspect.isawaitable(result):
            return await trio_asyncio.aio_as_trio(result)
        return result
    except SystemExit as exc:
        raise StepExit(exc) from exc


async def call_step_in_thread(fn):
    """Run a plain function in a worker thread; on cancel the thread is left to finish."""

    def guarded():
        try:
            return fn()
        except SystemExit as exc:
            raise StepExit(exc) from exc

    try:
        result = await trio.to_thread.run_sync(guarded, abandon_on_cancel=True)
    except trio.Cancelled:
        lib_logger().warning(f"{describe(fn)} was cancelled while running in a thread; the thread is left to finish")
        raise
    if inspect.iscoroutine(result):
        result.close()
        raise TypeError(f"{describe(fn)} is a coroutine function: use Action, not ActionInThread")
    return result


def describe(fn) -> str:
    """A readable name for a callable: its qualified name, through partials and bound methods."""
    while isinstance(fn, functools.partial) and not hasattr(fn, "__qualname__"):
        fn = fn.func
    return getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or type(fn).__name__
