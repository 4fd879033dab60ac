"""Output isolation: whatever is written to fd 1 or fd 2 becomes output events.

User code, C extensions and child processes all write to the process's file
descriptors 1 and 2, not to Python objects, so the capture happens at that level:
each descriptor is replaced (``dup2``) by the write end of a pipe, and a plain
thread per pipe reads it and hands the bytes on. The threads never wait for trio:
a step that writes more than a pipe holds while it blocks the event loop would
otherwise deadlock. The protocol lives on a descriptor of its own, so nothing
written here can reach it.
"""
from __future__ import annotations

import codecs
import io
import os
import sys
import threading
from collections.abc import Callable

CHUNK = 64 * 1024
STREAMS = {1: "stdout", 2: "stderr"}


def _line_buffered(fd: int, like: io.TextIOWrapper) -> io.TextIOWrapper:
    return io.TextIOWrapper(
        open(fd, "wb", closefd=False), encoding=like.encoding, errors=like.errors, line_buffering=True
    )


class OutputCapture:
    """Redirects fds 1 and 2 into pipes and calls ``on_output(stream, text)`` for what arrives.

    ``on_output`` is called from the drain threads, in order per stream, with
    text decoded as UTF-8 (``backslashreplace`` for bytes that are not, so
    binary garbage arrives as readable escapes). It must be thread-safe and
    must not block.
    """

    def __init__(self, on_output: Callable[[str, str], None]) -> None:
        self._on_output = on_output
        self._threads: list[threading.Thread] = []
        self._saved: dict[int, int] = {}
        self._python_streams = None

    def start(self) -> None:
        for fd, stream in STREAMS.items():
            read_end, write_end = os.pipe()
            self._saved[fd] = os.dup(fd)
            os.dup2(write_end, fd)
            os.close(write_end)
            thread = threading.Thread(
                target=self._drain, args=(read_end, stream), name=f"capture-{stream}", daemon=True
            )
            thread.start()
            self._threads.append(thread)
        # Python's streams: line-buffered, so a print arrives as one line and never sits in a buffer.
        self._python_streams = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = (_line_buffered(1, sys.stdout), _line_buffered(2, sys.stderr))

    def _drain(self, read_end: int, stream: str) -> None:
        decoder = codecs.getincrementaldecoder("utf-8")(errors="backslashreplace")
        with open(read_end, "rb", buffering=0) as pipe:
            while data := pipe.read(CHUNK):
                if text := decoder.decode(data):
                    self._on_output(stream, text)
            if text := decoder.decode(b"", final=True):
                self._on_output(stream, text)

    def stop(self, timeout: float = 1.0) -> None:
        """Flush, give fds 1 and 2 back, and wait (briefly) for the last output.

        A child process that still holds a copy of the pipe keeps its thread
        reading; it is not waited for beyond ``timeout``.
        """
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        if self._python_streams:
            sys.stdout, sys.stderr = self._python_streams
            self._python_streams = None
        for fd, saved in self._saved.items():
            os.dup2(saved, fd)
            os.close(saved)
        self._saved.clear()
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()
