"""What a command produced, before it is a reply: the kernel's commands and the shell's alike."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ._commands import CommandLineError, HelpRequested
from ._messages import Reply


@dataclass(frozen=True)
class Outcome:
    """A command's text, its error text, its data, and whether it did what was asked.

    ``ok`` defaults to whether there is no error text; a command may succeed and
    still have error text to show (what a system command wrote to stderr).
    """

    output: str = ""
    error: str = ""
    data: Any = None
    ok: bool = field(default=None)  # type: ignore[assignment]  # (set from error when not given)

    def __post_init__(self) -> None:
        if self.ok is None:
            object.__setattr__(self, "ok", not self.error)

    @classmethod
    def failure(cls, error: str) -> Outcome:
        return cls(error=error, ok=False)

    @classmethod
    def from_parser(cls, stop: HelpRequested | CommandLineError) -> Outcome:
        """What a command's parser gave instead of arguments: the help (``-h``: a success), or the
        usage and what is wrong with the line."""
        return cls(stop.text) if isinstance(stop, HelpRequested) else cls.failure(str(stop))

    @classmethod
    def from_reply(cls, reply: Reply) -> Outcome:
        return cls(output=reply.output, error=reply.error or "", data=reply.data, ok=reply.ok)

    def then(self, other: Outcome) -> Outcome:
        """Both outcomes together, as one command's result."""
        return Outcome(
            output="\n".join(text for text in (self.output, other.output) if text),
            error="\n".join(text for text in (self.error, other.error) if text),
            data=self.data if other.data is None else other.data,
            ok=self.ok and other.ok,
        )

    def reply(self, request_id: int) -> Reply:
        """The reply to command ``request_id`` (error text of a success goes with the output)."""
        fields: dict[str, Any] = {"id": request_id, "ok": self.ok}
        if self.ok:
            fields["output"] = "\n".join(text.rstrip("\n") for text in (self.output, self.error) if text)
        else:
            fields["output"] = self.output.rstrip("\n")
            fields["error"] = self.error.rstrip("\n") or "the command failed"
        if self.data is not None:
            fields["data"] = self.data
        return Reply(**fields)
