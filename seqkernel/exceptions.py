"""What the engine's control methods raise: each message is meant for the operator."""


class EngineError(Exception):
    """A control request that cannot be carried out; the message says why."""


class LoadError(EngineError):
    """A script or OB could not be loaded (``traceback`` holds the details, when any)."""

    def __init__(self, message, traceback_text=""):
        super().__init__(message)
        self.traceback = traceback_text


class EngineBusy(EngineError):
    """The request needs the engine idle, but a run is in progress."""


class NodeNotFound(EngineError, LookupError):
    """No node has the given serial number or name."""


class NotAllowed(EngineError):
    """The request makes no sense in the current state (e.g. resuming a node that is not paused)."""
