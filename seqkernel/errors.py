"""Error reports of failed steps: the exception, and a traceback that starts in the user's code."""
import asyncio
import concurrent.futures
import os
import threading
import time
import traceback

import outcome
import trio

from .steps import StepExit

_LIBRARY_DIRS = tuple(
    os.path.dirname(os.path.abspath(module.__file__)) + os.sep
    for module in (trio, outcome, asyncio, concurrent.futures)
) + (os.path.dirname(os.path.abspath(__file__)) + os.sep,)
_LIBRARY_FILES = (threading.__file__,)


def _is_library(filename: str) -> bool:
    """True for frames of the engine and the libraries it runs steps with."""
    return filename.startswith(_LIBRARY_DIRS) or filename in _LIBRARY_FILES or filename.startswith("<frozen ")


def user_exception(exc: BaseException) -> BaseException:
    """The exception the step raised (``SystemExit`` rather than its wrapper)."""
    return exc.original if isinstance(exc, StepExit) else exc


def _user_traceback(exc: BaseException):
    tb = exc.__traceback__
    while tb is not None and _is_library(tb.tb_frame.f_code.co_filename):
        tb = tb.tb_next
    return tb or exc.__traceback__


def describe_exception(exc: BaseException) -> str:
    """``ZeroDivisionError: division by zero``."""
    exc = user_exception(exc)
    text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    return text


def error_record(node, exc: BaseException) -> dict:
    """The ``error`` event body for ``exc`` raised by ``node``'s step."""
    exc = user_exception(exc)
    tb = _user_traceback(exc)
    text = "".join(traceback.format_exception(type(exc), exc, tb))
    frames = [frame for frame in traceback.extract_tb(tb) if not _is_library(frame.filename)]
    innermost = frames[-1] if frames else None
    return {
        "kind": "error",
        "ts": time.time(),
        "sn": node.sn,
        "id": node.id,
        "name": node.name,
        "exception": describe_exception(exc),
        "traceback": text,
        "file": innermost.filename if innermost else None,
        "line": innermost.lineno if innermost else None,
    }
