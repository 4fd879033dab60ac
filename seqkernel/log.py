"""Logging: the manual's ``seq.user`` logger, and log records turned into events.

User code logs with the standard ``logging`` module. While an engine is open, a
handler on the root logger turns every record into a ``log`` event body naming
the node whose step emitted it. The engine's own messages go through structlog
(``seq.lib``), so they carry key/value fields as well as text. The per-step
``Starting Task`` / ``End Task`` lines are built by the engine straight from its
state changes (:mod:`seqkernel.records`), without passing through ``logging``, to keep
them off the hot path.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import structlog
from structlog.typing import EventDict, WrappedLogger

from . import context

if TYPE_CHECKING:
    import trio

USER_LOGGER = "seq.user"
LIB_LOGGER = "seq.lib"
#: Formats the traceback of a record logged with ``exc_info`` (``log.exception(...)``).
_TRACEBACKS = logging.Formatter()


def getUserLogger() -> logging.Logger:  # noqa: N802 (the manual's name)
    """The ``seq.user`` logger (manual 6.1)."""
    return logging.getLogger(USER_LOGGER)


def logConfig(level: int | str = logging.INFO, **_ignored: object) -> None:  # noqa: N802 (the manual's name)
    """Set the level of user logging: records at ``level`` or above are kept."""
    logging.getLogger().setLevel(level)
    logging.getLogger(USER_LOGGER).setLevel(level)


def _render(logger: WrappedLogger, method_name: str, event_dict: EventDict) -> str:
    """``what happened (key=value ...)``: the message text of a structured record."""
    event = event_dict.pop("event")
    details = " ".join(f"{key}={value}" for key, value in event_dict.items())
    return f"{event} ({details})" if details else event


def lib_logger(**fields: Any) -> structlog.stdlib.BoundLogger:
    """The engine's structured logger (``seq.lib``), bound to ``fields``."""
    return structlog.wrap_logger(
        logging.getLogger(LIB_LOGGER),
        processors=[structlog.stdlib.filter_by_level, structlog.processors.format_exc_info, _render],
        wrapper_class=structlog.stdlib.BoundLogger,
    ).bind(**fields)


class PublishingHandler(logging.Handler):
    """Publishes each log record as a ``log`` event body, in the engine's thread.

    Records emitted in worker threads (``ActionInThread`` steps) are handed to
    the trio thread with ``run_sync_soon``, which keeps their order.
    """

    def __init__(self, publish: Callable[[dict[str, Any]], object], trio_token: trio.lowlevel.TrioToken,
                 level: int = logging.INFO) -> None:
        super().__init__(level)
        self._publish = publish
        self._token = trio_token
        self._thread = threading.get_ident()
        self._busy = threading.local()

    def emit(self, record: logging.LogRecord) -> None:
        if getattr(self._busy, "active", False):
            return  # a record logged while publishing one: dropping it avoids endless recursion
        node = context.current_node.get()
        message = record.getMessage()
        if record.exc_info and record.exc_info[0] is not None:
            message = message + "\n" + _TRACEBACKS.formatException(record.exc_info)
        body = {
            "kind": "log",
            "ts": record.created,
            "level": record.levelname,
            "logger": record.name,
            "message": message,
            "sn": node.sn if node is not None else None,
        }
        if threading.get_ident() == self._thread:
            self._deliver(body)
        else:
            try:
                self._token.run_sync_soon(self._deliver, body)
            except Exception:  # the engine has closed: nothing is listening any more
                pass

    def _deliver(self, body: dict[str, Any]) -> None:
        self._busy.active = True
        try:
            self._publish(body)
        finally:
            self._busy.active = False
