"""Node states and runtime flags, spelled as the manual displays them.

A state is one enum member whose value is already the display text
(``FINISHED|SKIP``), so publishing a state change never formats strings.
"""
import enum


class State(str, enum.Enum):
    NOT_STARTED = "NOT_STARTED"
    SCHEDULED = "SCHEDULED"
    RUNNING = "RUNNING"
    PAUSED = "PAUSED"
    FINISHED = "FINISHED"
    FINISHED_SKIP = "FINISHED|SKIP"
    FINISHED_ERROR = "FINISHED|ERROR"
    CANCELLED = "CANCELLED"
    CANCELLED_ERROR = "CANCELLED|ERROR"

    def __str__(self) -> str:
        return self.value

    @property
    def finished(self) -> bool:
        """True for every FINISHED state, including skipped and failed."""
        return self in _FINISHED


_FINISHED = frozenset({State.FINISHED, State.FINISHED_SKIP, State.FINISHED_ERROR})


class RTFLAG(enum.IntFlag):
    """Runtime flags an operator sets on a node (manual 5.3)."""

    NONE = 0
    PAUSE = 1
    SKIP = 2


_FLAG_NAMES: dict[int, tuple[str, ...]] = {
    flags: tuple(name for name, bit in (("PAUSE", RTFLAG.PAUSE), ("SKIP", RTFLAG.SKIP)) if flags & bit)
    for flags in range(4)
}


def flag_names(flags: int) -> list[str]:
    """The protocol's spelling of a flag set: a subset of ``["PAUSE", "SKIP"]``."""
    return list(_FLAG_NAMES[flags])


def display_state(state: str, flags: int | list[str] | tuple[str, ...]) -> str:
    """The manual's display form: the state followed by ``|RT.PAUSE`` / ``|RT.SKIP``."""
    names = flags if isinstance(flags, (list, tuple)) else _FLAG_NAMES[flags]
    return "|".join([str(state), *("RT." + name for name in names)])
