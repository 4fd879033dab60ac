"""The session directory of the manual's 7.1: ``/tmp/seq_session_<pid>/``.

- ``seq.log``: the shell's own logging (structlog over stdlib logging);
- ``seq_user.log``: the scripts' log records, as the kernel published them;
- ``kernel.log``: the kernel's internal logging (the kernel writes it).
"""
from __future__ import annotations

import atexit
import logging
import os
import pathlib
import tempfile
import time
from collections.abc import Iterable

import structlog

import protocol
from protocol import level_number


class SessionDirectory:
    def __init__(self, root: str | None = None) -> None:
        self.path = pathlib.Path(root or tempfile.gettempdir(), f"seq_session_{os.getpid()}")
        self.path.mkdir(parents=True, exist_ok=True)
        self.shell_log = self.path / "seq.log"
        self.user_log = self.path / "seq_user.log"
        self.kernel_log = self.path / "kernel.log"
        # Written in bursts: a run of short steps logs thousands of records a second, and the shell
        # writes each burst of them at once (record_user_logs).
        self._user_file = open(self.user_log, "a", encoding="utf-8")  # noqa: SIM115 (open for the session)
        atexit.register(self._user_file.close)
        self._second: tuple[int, str] = (-1, "")  # the last second formatted, and its text

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

    def record_user_logs(self, events: Iterable[protocol.Event]) -> None:
        """Append the ``log`` events of a burst from the kernel to ``seq_user.log``, as the logging
        module would write them (``2026-12-07 18:00:01,234 INFO seq.user: Ax``), and put them on disk."""
        lines = []
        for event in events:
            if event.kind != "log":
                continue
            ts = event.ts
            second = int(ts)
            if second != self._second[0]:
                self._second = (second, time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(second)))
            lines.append("%s,%03d %s %s: %s\n" % (self._second[1], (ts - second) * 1000, event.level, event.logger,
                                                 event.message))
        if lines:
            self._user_file.write("".join(lines))
            self._user_file.flush()
