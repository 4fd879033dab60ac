"""The client library under the name earlier documentation gave it: see :mod:`seqclient`."""
from seqclient.client import DEFAULT_EVENT_BUFFER, Connection, ConnectionClosed, SyncClient, connect

__all__ = ["connect", "Connection", "ConnectionClosed", "SyncClient", "DEFAULT_EVENT_BUFFER"]
