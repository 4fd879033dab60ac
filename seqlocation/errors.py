"""What can go wrong in the location service, each with a message for the operator."""
from __future__ import annotations

import contextlib


class LocationError(Exception):
    """Base of the location service's errors."""


class InvalidName(LocationError, ValueError):
    """A component, sequencer or observing mode name that does not follow the conventions."""


class NotFound(LocationError, LookupError):
    """No live entry under that name."""


class NameTaken(LocationError):
    """The name is held by another live owner; ``holder`` is its entry."""

    def __init__(self, message: str, holder):
        super().__init__(message)
        self.holder = holder


class RegistryUnavailable(LocationError):
    """The registry cannot be reached or used (Redis down, a directory not writable)."""


@contextlib.contextmanager
def unwrapped():
    """What a block raises, as it raised it, where a task group of ours (or coredis's)
    around it would wrap it in an exception group; a group of several stays one."""
    try:
        yield
    except BaseExceptionGroup as group:
        single = group
        while isinstance(single, BaseExceptionGroup) and len(single.exceptions) == 1:
            single = single.exceptions[0]
        if isinstance(single, BaseExceptionGroup):
            raise
        raise single from None
