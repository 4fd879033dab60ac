"""What one command produced: its text, its error, and whether it succeeded."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Outcome:
    ok: bool
    output: str = ""
    error: str = ""
    data: Any = None

    @classmethod
    def from_reply(cls, reply) -> Outcome:
        """A protocol ``reply`` message (or its map)."""
        fields = reply if isinstance(reply, dict) else reply.to_dict()
        return cls(
            ok=bool(fields.get("ok")),
            output=fields.get("output") or "",
            error=fields.get("error") or "",
            data=fields.get("data"),
        )

    @classmethod
    def failure(cls, error: str) -> Outcome:
        return cls(ok=False, error=error)

    def then(self, other: Outcome) -> Outcome:
        """Both outcomes together, as one command's result."""
        return Outcome(
            ok=self.ok and other.ok,
            output="\n".join(text for text in (self.output, other.output) if text),
            error="\n".join(text for text in (self.error, other.error) if text),
            data=self.data if other.data is None else other.data,
        )
