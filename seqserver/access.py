"""Who may talk to a seqserver: access tokens and TLS, for both ends of a connection.

Anyone who can reach the server's port can load and run Python code on the
instrument host, so the server either admits clients of its own machine only
(protected mode, when it has no token) or asks every client for a token. The
token lives in a file only its owner can read: one the operator names, or one
the server generates in the user's state directory
(``$XDG_STATE_HOME/seq/token``, default ``~/.local/state/seq/token``), where
clients of the same user on the same machine find it without being told.
TLS (Python's ``ssl`` under trio's ``SSLStream``) keeps the token and the
traffic from being read or changed on the way.
"""
from __future__ import annotations

import os
import pathlib
import secrets
import ssl

TOKEN_ENV = "SEQ_TOKEN"


def default_token_path() -> pathlib.Path:
    state = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return pathlib.Path(state) / "seq" / "token"


def read_token(path: str | os.PathLike) -> str:
    """The token in ``path`` (surrounding white space ignored); ValueError when it is empty."""
    token = pathlib.Path(path).read_text(encoding="utf-8").strip()
    if not token:
        raise ValueError(f"{path} is empty")
    return token


def generate_token(path: str | os.PathLike | None = None) -> tuple[str, pathlib.Path]:
    """A new random token written to ``path`` (default: the state directory) readable by its owner only."""
    path = pathlib.Path(path) if path is not None else default_token_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    token = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        os.fchmod(file.fileno(), 0o600)  # an older file keeps its mode through O_CREAT
        file.write(token + "\n")
    return token, path


def client_token(token: str | None = None, token_file: str | None = None) -> str | None:
    """The token a client sends: ``token``, else the file's, else ``$SEQ_TOKEN``, else the
    state directory's file when there is one (a server of the same user generated it)."""
    if token:
        return token
    if token_file:
        return read_token(token_file)
    if os.environ.get(TOKEN_ENV):
        return os.environ[TOKEN_ENV]
    try:
        return read_token(default_token_path())
    except (OSError, ValueError):
        return None


def client_ssl_context(cacert: str | None = None) -> ssl.SSLContext:
    """Verify the server's certificate against ``cacert`` (or the system's authorities)."""
    return ssl.create_default_context(cafile=cacert)


def server_ssl_context(cert: str, key: str) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context
