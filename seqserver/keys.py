"""The tokens a server accepts, and the role each one gives.

Many clients watch, few act, fewer run code. A token file holds one token per
line, with the role it gives and a name for the audit log (the token itself is
never written anywhere else)::

    # TOKEN                                        ROLE      NAME
    q3v0sM4D0lXyJm2hS3o5ZKk0b8bdd3vH3M6Cw0S1s9Q   engineer  night-engineer
    Jd9Kf2b7P1xR4q8Zt0wL5yV3nH6mC2aG8sE1uT4oB7c   operator  night-ops
    yH3b9K2d7N1q5W0r8T4p6M3z1L9c5F2v8B7x4J6s0Aa   observer  control-room-wall

The role is ``observer`` (the snapshot, events and the commands that only read),
``operator`` (also drives the loaded work: run, pause, abort, dialogs, template
variables...) or ``engineer`` (also loads code and files and runs commands on the
host: load, ob, bp, init, loadscript...); each role may do what the ones before it
may. A line with a token alone gives ``engineer``; the name defaults to the start
of the token's digest. The command table (``protocol.COMMANDS``) says which role
each command needs.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import pathlib
from dataclasses import dataclass

import protocol

RANK = {role: rank for rank, role in enumerate(protocol.ROLES)}


@dataclass(frozen=True)
class Principal:
    """Who a client is to the server: the role its token gives, and the token's name."""

    role: str
    token: str  # the token's name, for logs and the audit trail

    def may(self, role: str) -> bool:
        """Whether this principal has ``role`` (or more)."""
        return RANK[self.role] >= RANK[role]


def token_name(token: str) -> str:
    """A token's default name: the start of its digest, which says nothing of the token."""
    return "token-" + hashlib.sha256(token.encode()).hexdigest()[:8]


class Keys:
    """The tokens a server accepts, each with its principal."""

    def __init__(self, tokens: dict[str, Principal]) -> None:
        if not tokens:
            raise ValueError("no token: a server needs at least one")
        self._tokens = {token.encode(): principal for token, principal in tokens.items()}

    @classmethod
    def single(cls, token: str, name: str | None = None) -> Keys:
        """One token, giving every right (the user's own, or one given on the command line)."""
        return cls({token: Principal(protocol.ENGINEER, name or token_name(token))})

    @classmethod
    def from_file(cls, path: str | os.PathLike) -> Keys:
        """The tokens of a token file (see the module's documentation); ValueError naming the line
        that is wrong."""
        tokens = {}
        for number, line in enumerate(pathlib.Path(path).read_text(encoding="utf-8").splitlines(), start=1):
            words = line.split("#", 1)[0].split()
            if not words:
                continue
            if len(words) > 3:
                raise ValueError(f"{path}, line {number}: expected TOKEN [ROLE [NAME]], got {len(words)} words")
            token = words[0]
            role = words[1] if len(words) > 1 else protocol.ENGINEER
            name = words[2] if len(words) > 2 else None
            if role not in RANK:
                raise ValueError(f"{path}, line {number}: unknown role {role!r} (one of {', '.join(protocol.ROLES)})")
            tokens[token] = Principal(role, name or token_name(token))
        if not tokens:
            raise ValueError(f"{path} holds no token")
        return cls(tokens)

    def find(self, token: str | None) -> Principal | None:
        """The principal of ``token``, or None; every token is compared, in constant time."""
        given = (token or "").encode()
        found = None
        for known, principal in self._tokens.items():
            if hmac.compare_digest(given, known):
                found = principal
        return found

    def items(self) -> list[tuple[bytes, Principal]]:
        """(token, principal) pairs (a sign-in cookie is sealed with its token)."""
        return list(self._tokens.items())
