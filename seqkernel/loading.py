"""Importing scripts by dotted module name or file path, re-importing edited ones."""
import importlib
import importlib.util
import os
import sys
import traceback

import trio

from .errors import describe_exception
from .exceptions import LoadError


def import_script(target: str):
    """Import (or re-import, so edits are picked up) a module by dotted name or file path."""
    try:
        if target.endswith(".py") or os.sep in target:
            path = os.path.abspath(target)
            if not os.path.isfile(path):
                raise LoadError(f"no such file: {target}")
            name = os.path.splitext(os.path.basename(path))[0]
            spec = importlib.util.spec_from_file_location(name, path)
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            try:
                spec.loader.exec_module(module)
            except BaseException:
                sys.modules.pop(name, None)  # no half-imported module left behind
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
