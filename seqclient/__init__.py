"""seqclient: the client library of seq, for programs, the remote shell and the GUI launcher.

It reaches a seqserver without importing anything of the daemon or the engine::

    from seqclient import connect

    async with connect("127.0.0.1", 8000, client="night-script") as conn:
        reply = await conn.command("load seq.samples.a")

Also here: :class:`SyncClient` for plain threads, the protocol link every
process uses to reach the next one (:mod:`seqclient.link`), access tokens and
TLS (:mod:`seqclient.access`), addresses, and the configuration file of the
manual's 4.3 (:mod:`seqclient.config`).
"""
from seqclient.addresses import Target, format_address, parse_address, resolve
from seqclient.client import DEFAULT_EVENT_BUFFER, Connection, ConnectionClosed, SyncClient, connect, connect_to

__all__ = [
    "connect",
    "connect_to",
    "Connection",
    "ConnectionClosed",
    "SyncClient",
    "DEFAULT_EVENT_BUFFER",
    "parse_address",
    "format_address",
    "resolve",
    "Target",
]
