"""The session directory of the manual's 7.1: ``/tmp/seq_session_<pid>/``.

- ``seq.log``: the shell's own logging (structlog over stdlib logging);
- ``seq_user.log``: the scripts' log records, as the kernel published them;
- ``kernel.log``: the kernel's internal logging (the kernel writes it).
"""
from __future__ import annotations

import logging
import os
import pathlib
import tempfile
import time

import structlog

from protocol import level_number


class _BurstFileHandler(logging.FileHandler):
    """A file handler that flushes when told, not after every record: a run of short
    steps logs thousands of records a second, and the shell writes each burst of
    them at once. Closing (also at exit) writes out whatever is left."""

    def flush(self) -> None:
        pass

    def flush_now(self) -> None:
        super().flush()


class SessionDirectory:
    def __init__(self, root: str | None = None) -> None:
        self.path = pathlib.Path(root or tempfile.gettempdir(), f"seq_session_{os.getpid()}")
        self.path.mkdir(parents=True, exist_ok=True)
        self.shell_log = self.path / "seq.log"
        self.user_log = self.path / "seq_user.log"
        self.kernel_log = self.path / "kernel.log"
        self._user_handler = _BurstFileHandler(self.user_log, encoding="utf-8")
        self._user_handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))

    def configure_logging(self, level: str = "INFO") -> None:
        """Send the shell's structlog and stdlib logging to ``seq.log``."""
        shared = [
            structlog.stdlib.add_log_level,
            structlog.stdlib.add_logger_name,
            structlog.processors.TimeStamper(fmt="iso"),
        ]
        structlog.configure(
            processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
            logger_factory=structlog.stdlib.LoggerFactory(),
            wrapper_class=structlog.stdlib.BoundLogger,
            cache_logger_on_first_use=True,
        )
        handler = logging.FileHandler(self.shell_log, encoding="utf-8")
        handler.setFormatter(
            structlog.stdlib.ProcessorFormatter(
                processors=[
                    structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    structlog.processors.format_exc_info,
                    structlog.dev.ConsoleRenderer(colors=False),
                ],
                foreign_pre_chain=shared,
            )
        )
        root = logging.getLogger()
        root.addHandler(handler)
        root.setLevel(level_number(level))

    def record_user_log(self, event: dict) -> None:
        """Append a ``log`` event from the kernel to ``seq_user.log`` (on disk at the next
        :meth:`flush_user_log`)."""
        record = logging.makeLogRecord(
            {
                "name": event.get("logger", ""),
                "levelname": event.get("level", "INFO"),
                "levelno": logging.getLevelName(event.get("level", "INFO")),
                "msg": event.get("message", ""),
                "created": event.get("ts") or time.time(),
            }
        )
        self._user_handler.handle(record)

    def flush_user_log(self) -> None:
        """Put what was appended to ``seq_user.log`` on disk: called after each burst of events."""
        self._user_handler.flush_now()
