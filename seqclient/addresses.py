"""``[HOST:]PORT``: how seq's servers and clients name where a server listens."""
from __future__ import annotations


def parse_address(address: str, default_host: str | None = "127.0.0.1") -> tuple[str | None, int]:
    """``[HOST:]PORT`` as (host, port): ``8000``, ``localhost:8000``, ``[::1]:8000``.

    Without a host, ``default_host`` (a server passes None: every interface).
    ValueError saying what is expected otherwise.
    """
    host, _, port = address.strip().rpartition(":")
    if not port.isdigit() or not 0 <= int(port) < 65536:
        raise ValueError(f"bad address {address!r}: expected [HOST:]PORT, e.g. 8000 or 127.0.0.1:8000")
    return (host.strip("[]") or default_host), int(port)


def format_address(host: str, port: int) -> str:
    """The ``HOST:PORT`` text of an address (an IPv6 host in brackets)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
