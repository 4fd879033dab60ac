"""Output isolation: whatever is written to fd 1 or fd 2 becomes output events.

User code, C extensions and child processes all write to the process's file
descriptors 1 and 2, not to Python objects, so the capture happens at that level:
each descriptor is replaced (``dup2``) by the write end of a pipe, and a plain
thread per pipe reads it and hands the bytes on. The threads never wait for trio:
a step that writes more than a pipe holds while it blocks the event loop would
otherwise deadlock. The protocol lives on a descriptor of its own, so nothing
written here can reach it.

The kernel calls :meth:`OutputCapture.catch_up` before it publishes each event,
so what a step wrote comes before the events that follow it (its end, the end
of the run) rather than whenever the thread gets to it.
"""
from __future__ import annotations

import codecs
import io
import os
import select
import sys
import threading
from collections.abc import Callable

CHUNK = 64 * 1024
STREAMS = {1: "stdout", 2: "stderr"}


def _line_buffered(fd: int, like: io.TextIOWrapper) -> io.TextIOWrapper:
    return io.TextIOWrapper(
        open(fd, "wb", closefd=False), encoding=like.encoding, errors=like.errors, line_buffering=True
    )


class _Pipe:
    """The read end of one captured descriptor's pipe, taken from by its thread and by catch-up."""

    def __init__(self, read_end: int, stream: str, on_output: Callable[[str, str], None]) -> None:
        os.set_blocking(read_end, False)
        self.fd = read_end
        self.stream = stream
        self.ended = False
        self.busy = False  # a thread is between reading bytes and handing them on
        self._on_output = on_output
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="backslashreplace")
        self._lock = threading.Lock()  # held while reading *and* handing on: bytes keep their order

    def take(self) -> None:
        """Hand on everything the pipe holds now; at its end (every writer gone) mark it ended."""
        with self._lock:
            self.busy = True  # set before bytes leave the pipe, cleared once they are handed on
            try:
                while not self.ended:
                    try:
                        data = os.read(self.fd, CHUNK)
                    except BlockingIOError:
                        return
                    self.ended = not data
                    if text := self._decoder.decode(data, final=self.ended):
                        self._on_output(self.stream, text)
            finally:
                self.busy = False


class OutputCapture:
    """Redirects fds 1 and 2 into pipes and calls ``on_output(stream, text)`` for what arrives.

    ``on_output`` is called from the drain threads (and from the thread calling
    :meth:`catch_up`), in order per stream, with text decoded as UTF-8
    (``backslashreplace`` for bytes that are not, so binary garbage arrives as
    readable escapes). It must be thread-safe and must not block.
    """

    def __init__(self, on_output: Callable[[str, str], None]) -> None:
        self._on_output = on_output
        self._threads: list[threading.Thread] = []
        self._saved: dict[int, int] = {}
        self._python_streams = None
        self._pipes: list[_Pipe] = []
        self._readable = select.poll()  # used by catch_up only, from one thread

    def start(self) -> None:
        for fd, stream in STREAMS.items():
            read_end, write_end = os.pipe()
            self._saved[fd] = os.dup(fd)
            os.dup2(write_end, fd)
            os.close(write_end)
            pipe = _Pipe(read_end, stream, self._on_output)
            self._pipes.append(pipe)
            self._readable.register(read_end, select.POLLIN)
            thread = threading.Thread(target=self._drain, args=(pipe,), name=f"capture-{stream}", daemon=True)
            thread.start()
            self._threads.append(thread)
        # Python's streams: line-buffered, so a print arrives as one line and never sits in a buffer.
        self._python_streams = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = (_line_buffered(1, sys.stdout), _line_buffered(2, sys.stderr))

    def catch_up(self) -> None:
        """Hand on what has been written so far. Called from one thread only, the engine's,
        before it publishes an event, so it costs one ``poll`` when nothing was written.
        Bytes are either still in a pipe (the poll sees them) or held by a thread that is
        handing them on (``busy``: taking from the pipe waits for it)."""
        readable = self._readable.poll(0)
        for pipe in self._pipes:
            if readable or pipe.busy:
                pipe.take()

    @staticmethod
    def _drain(pipe: _Pipe) -> None:
        """Take from the pipe whenever it has something, until its end; then close it (only
        this thread closes it, so a poll never waits on a closed descriptor)."""
        waiting = select.poll()
        waiting.register(pipe.fd, select.POLLIN)
        while not pipe.ended:
            waiting.poll()
            pipe.take()
        os.close(pipe.fd)

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
