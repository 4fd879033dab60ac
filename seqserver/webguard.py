"""Who may use the web side of the port, and how a browser signs in.

A browser on the instrument host runs pages from anywhere, and any of them may
try ``ws://127.0.0.1:8000/ws``. So:

- every request must name the server by one of its own names in ``Host`` (an
  IP address, ``localhost``, this machine's host names, or a name the operator
  allowed): a page that reaches the port through a name of its own (DNS
  rebinding) gets ``403``;
- the websocket and the sign-in, which act, accept only the server's own page:
  a browser's ``Origin`` must be the address the request was sent to (or an
  origin the operator allowed). Clients that are not browsers send no
  ``Origin`` and are judged by the protocol's handshake alone;
- every response carries headers that keep the page from being framed, sniffed
  or made to run scripts of anyone else;
- the page never keeps the access token: it trades it once (``POST /signin``)
  for a cookie that is ``HttpOnly`` and ``SameSite=Strict``, named after the
  server's port (browsers share cookies between the ports of one host), and a
  websocket that brings the cookie is signed in with that token's role. The
  cookie is a random value and the token's name, sealed with the token (HMAC),
  so a server restarted with the same tokens knows it, and a new token voids
  every cookie of the old one.
"""
from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
import socket
import urllib.parse
from collections.abc import Iterable

from seqserver.keys import Keys, Principal

SECURITY_HEADERS = [
    ("Content-Security-Policy",
     "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
     "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Cross-Origin-Resource-Policy", "same-origin"),
]


def own_host_names(extra: Iterable[str] = ()) -> frozenset[str]:
    """The names a request's ``Host`` may use besides IP addresses: this machine's and ``extra``."""
    names = {"localhost", socket.gethostname(), socket.getfqdn(), *extra}
    return frozenset(name.lower().rstrip(".") for name in names if name)


def host_name(host_header: str) -> str:
    """The name or address in a ``Host`` header, without port or brackets."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host[1:].partition("]")[0]
    return host.rpartition(":")[0] if host.count(":") == 1 else host


class WebGuard:
    """The web side's rules for one server: names, origins, sign-ins by cookie."""

    def __init__(self, keys: Keys, *, port: int = 0, tls: bool = False, allowed_hosts: Iterable[str] = (),
                 allowed_origins: Iterable[str] = ()) -> None:
        self._keys = keys
        self.tls = tls
        self.port = port  # the listening port, known once the server listens: it names the cookie
        self._names = own_host_names(allowed_hosts)
        self._origins = frozenset(origin.lower().rstrip("/") for origin in allowed_origins)

    # -- who may ask -------------------------------------------------------------------

    def host_problem(self, host_header: str | None) -> str | None:
        """Why a request with this ``Host`` is refused, or None."""
        if not host_header:
            return "a request must name the server in its Host header"
        name = host_name(host_header)
        try:
            ipaddress.ip_address(name)
            return None  # an address cannot be rebound to another machine by DNS
        except ValueError:
            pass
        if name.rstrip(".") in self._names:
            return None
        return (f"this server does not answer to the name {name[:60]!r} (start it with --allow-host NAME "
                "to add one)")

    def origin_problem(self, origin: str | None, host_header: str) -> str | None:
        """Why a browser request from ``origin`` may not act on this server, or None."""
        if origin is None:
            return None  # not a browser: the protocol's handshake decides
        origin = origin.strip().lower().rstrip("/")
        own = f"{'https' if self.tls else 'http'}://{host_header.strip().lower()}"
        if hmac.compare_digest(origin.encode(), own.encode()) or origin in self._origins:
            return None
        return (f"pages from {origin[:80]!r} may not use this server (only its own page; start it with "
                "--allow-origin ORIGIN to add one)")

    # -- signing in --------------------------------------------------------------------

    @property
    def cookie_name(self) -> str:
        return f"seq-{self.port}"

    def sign_in(self, form_body: bytes) -> str | None:
        """The ``Set-Cookie`` value for a sign-in form holding a token of the server's, else None."""
        token = urllib.parse.parse_qs(form_body.decode("utf-8", "replace")).get("token", [""])[0].strip()
        principal = self._keys.find(token)
        if principal is None:
            return None
        nonce = secrets.token_urlsafe(16)
        value = f"{nonce}.{principal.token}.{_seal(token.encode(), nonce, principal.token)}"
        secure = "; Secure" if self.tls else ""
        return f"{self.cookie_name}={value}; Path=/; HttpOnly; SameSite=Strict{secure}"

    def signed_in(self, cookie_header: str | None) -> Principal | None:
        """Who a request's ``Cookie`` header signs in (a sign-in sealed with one of the server's
        tokens), or None."""
        for part in (cookie_header or "").split(";"):
            name, _, value = part.strip().partition("=")
            nonce, _, rest = value.partition(".")
            token_name, _, seal = rest.rpartition(".")
            if name != self.cookie_name or not nonce:
                continue
            for token, principal in self._keys.items():
                if principal.token == token_name and hmac.compare_digest(seal.encode(), _seal(token, nonce,
                                                                                               token_name).encode()):
                    return principal
        return None


def _seal(token: bytes, nonce: str, token_name: str) -> str:
    return hmac.new(token, f"seq sign-in {nonce} {token_name}".encode("utf-8", "replace"), hashlib.sha256).hexdigest()
