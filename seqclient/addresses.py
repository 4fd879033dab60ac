"""Where a server is: ``[HOST:]PORT``, or a name the location service resolves."""
from __future__ import annotations

from dataclasses import dataclass


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


@dataclass(frozen=True)
class Target:
    """Where a client connects: an address, and the name it expects the server there to hold
    (when it was found by name in the location service)."""

    host: str
    port: int
    name: str | None = None
    tls: bool = False

    @property
    def address(self) -> str:
        return format_address(self.host, self.port)

    def __str__(self) -> str:
        return f"{self.name} at {self.address}" if self.name else self.address


async def resolve(target: str, redis: str | None = None) -> Target:
    """``[HOST:]PORT`` as it is, or the name of a sequence component or sequencer (``IRIS@IRIS_ifsonly``,
    or TMT's ``IRIS.IRIS_ifsonly``) looked up in the location service (``--redis``, else ``SEQ_REGISTRY``,
    else the embedded registry). seqlocation's NotFound or RegistryUnavailable otherwise."""
    try:
        host, port = parse_address(target)
    except ValueError:
        pass
    else:
        return Target(host or "127.0.0.1", port)
    from seqlocation import open_directory  # only a client that names a server needs the location service

    async with open_directory(redis) as directory:
        entry = await directory.resolve(target)
    return Target(entry.host, entry.port, entry.name, entry.tls)
