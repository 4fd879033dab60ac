"""Who may talk to a seqserver: access tokens and TLS, for both ends of a connection.

Anyone who can reach the server's port can load and run Python code on the
instrument host, so every client must present a token, which lives in a file
only its owner can read. Without one named by the operator, the server uses its
user's own token (``$XDG_STATE_HOME/seq/token``, default
``~/.local/state/seq/token``, made on first need) and admits clients of its own
machine only (protected mode): the same user's shells and ``seqtool gui`` find
that file without being told, while other users of the machine, and whatever
they forward to it, cannot read it.
TLS (Python's ``ssl`` under trio's ``SSLStream``) keeps the token and the
traffic from being read or changed on the way.
"""
from __future__ import annotations

import ipaddress
import os
import pathlib
import secrets
import ssl
import tempfile

TOKEN_ENV = "SEQ_TOKEN"


def state_directory() -> pathlib.Path:
    """Where seq keeps what is the user's own (``$XDG_STATE_HOME/seq``, default ``~/.local/state/seq``)."""
    state = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return pathlib.Path(state) / "seq"


def default_token_path() -> pathlib.Path:
    return state_directory() / "token"


def read_token(path: str | os.PathLike) -> str:
    """The token in ``path``: the first word of its first line that is not a comment (a server's token
    file may go on with a role and a name, and more tokens); ValueError when there is none."""
    for line in pathlib.Path(path).read_text(encoding="utf-8").splitlines():
        if words := line.split("#", 1)[0].split():
            return words[0]
    raise ValueError(f"{path} holds no token")


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


def user_token() -> str:
    """This user's own token (the state directory's), made the first time it is needed.

    Servers starting at once agree on one: the new file is written aside and
    linked into place, which fails for all but the first.
    """
    path = default_token_path()
    try:
        return read_token(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, prefix=".token-", encoding="utf-8") as draft:
        draft.write(secrets.token_urlsafe(32) + "\n")  # NamedTemporaryFile is made 0600
        draft.flush()
        try:
            os.link(draft.name, path)
        except FileExistsError:
            pass
    return read_token(path)


def explicit_token(token: str | None = None, token_file: str | None = None) -> str | None:
    """The token a client was given: ``token``, else the file's, else ``$SEQ_TOKEN``, else None."""
    if token:
        return token
    if token_file:
        return read_token(token_file)
    return os.environ.get(TOKEN_ENV) or None


def client_token(token: str | None, host: str) -> str | None:
    """The token to send to a server on ``host``: the one given, else, for a server on this
    machine, the user's own (when there is one). The user's own token is never sent to
    another machine: a server there has no business with it."""
    if token or not is_this_machine(host):
        return token
    try:
        return read_token(default_token_path())
    except (OSError, ValueError):
        return None


def is_this_machine(host: str) -> bool:
    """Whether ``host`` (a name or an address) is ``localhost``, a loopback address, or the
    unspecified address (``0.0.0.0``), which reaches this machine."""
    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    address = getattr(address, "ipv4_mapped", None) or address
    return address.is_loopback or address.is_unspecified


def client_ssl_context(cacert: str | None = None) -> ssl.SSLContext:
    """Verify the server's certificate against ``cacert`` (or the system's authorities)."""
    return ssl.create_default_context(cafile=cacert)


def server_ssl_context(cert: str, key: str) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context
