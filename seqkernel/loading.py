"""Importing scripts by dotted module name or file path, re-importing edited ones.

The kernel imports in a worker thread (:class:`ThreadedImport`): a module that
hangs while it is imported (a module-level ``time.sleep``, a device that does
not answer) then leaves the event loop serving commands, and ``abort`` gives up
on the import. Python cannot stop a thread, so an abandoned import goes on in
the background until the module's code returns; what it left half-done in
``sys.modules`` is taken out, so that a later load imports the module afresh
rather than picking up half a module.
"""
import importlib
import importlib.util
import os
import sys
import traceback

import trio

from .errors import describe_exception
from .exceptions import LoadError


def search_current_directory() -> None:
    """Find scripts in the current directory first, as ``python -m`` (hence the kernel) does: a
    console script such as ``seqtool run`` does not get it on ``sys.path`` by itself."""
    if "" not in sys.path and os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())


def is_path(target: str) -> bool:
    """Whether a load target names a ``.py`` file rather than a dotted module."""
    return target.endswith(".py") or os.sep in target


def module_name(target: str) -> str:
    """The name the module of ``target`` has in ``sys.modules``."""
    return os.path.splitext(os.path.basename(target))[0] if is_path(target) else target


def import_script(target: str):
    """Import (or re-import, so edits are picked up) a module by dotted name or file path."""
    try:
        if is_path(target):
            path = os.path.abspath(target)
            if not os.path.isfile(path):
                raise LoadError(f"no such file: {target}")
            name = module_name(target)
            spec = importlib.util.spec_from_file_location(name, path)
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            try:
                spec.loader.exec_module(module)
            except BaseException:
                if sys.modules.get(name) is module:  # no half-imported module left behind
                    del sys.modules[name]
                raise
            return module
        if target in sys.modules:
            return importlib.reload(sys.modules[target])
        return importlib.import_module(target)
    except LoadError:
        raise
    except ModuleNotFoundError as exc:
        if exc.name and target.startswith(exc.name):
            raise LoadError(f"no module named {target!r}") from exc
        raise LoadError(f"cannot load {target}: {describe_exception(exc)}", traceback.format_exc()) from exc
    except BaseException as exc:
        if isinstance(exc, (KeyboardInterrupt, trio.Cancelled)):
            raise
        raise LoadError(f"cannot load {target}: {describe_exception(exc)}", traceback.format_exc()) from exc


def import_all(targets, starting=lambda target: None) -> dict:
    """Import each target once, in order: ``{target: module}``. ``starting(target)`` is called before each."""
    modules = {}
    for target in dict.fromkeys(targets):
        starting(target)
        modules[target] = import_script(target)
    return modules


class ThreadedImport:
    """:func:`import_all` in a worker thread that :meth:`abandon` stops waiting for."""

    def __init__(self, targets) -> None:
        self.targets = list(targets)
        self.current: str | None = None  # the target being imported (set by the worker thread)
        self._scope = trio.CancelScope()

    def abandon(self) -> None:
        """Stop waiting for the import: :meth:`run` raises LoadError, the thread goes on alone."""
        self._scope.cancel()

    async def run(self) -> dict:
        """``{target: module}`` once every target is imported; LoadError if one fails or the import is abandoned."""
        before = set(sys.modules)
        with self._scope:
            # A limiter of its own: abandoned imports never starve the threads steps run in.
            return await trio.to_thread.run_sync(
                import_all, self.targets, self._starting,
                thread_name="seq import", abandon_on_cancel=True, limiter=trio.CapacityLimiter(1),
            )
        if self.current is None:
            raise LoadError("load aborted before any module was imported; nothing was loaded")
        self._forget_unfinished(before)
        raise LoadError(
            f"load aborted: the import of {self.current} did not finish; nothing of this load was loaded. "
            "The import goes on in a thread of the kernel (Python cannot stop it): if it holds a device or "
            "another resource, restart the kernel (init in the shell)"
        )

    def _starting(self, target: str) -> None:
        self.current = target

    def _forget_unfinished(self, before: set) -> None:
        """Take out of ``sys.modules`` the modules the abandoned import began and has not finished
        (importlib marks them ``_initializing``) and the module of the target it was importing."""
        current = module_name(self.current)
        for name, module in list(sys.modules.items()):
            unfinished = name not in before and getattr(getattr(module, "__spec__", None), "_initializing", False)
            if unfinished or name == current:
                sys.modules.pop(name, None)
