"""The location service: the directory of sequence components and sequencers.

Servers register in it, clients resolve names to addresses, ``seqtool locate`` shows
it and the sequence manager lists, watches and claims. It lives in Redis across hosts
(``--redis [HOST:]PORT`` or ``SEQ_REGISTRY=redis://HOST:PORT/DB``) or, on one machine,
in an embedded registry folder; both behave alike.
"""
from seqlocation.directory import Claim, Data, Directory, matches, open_directory
from seqlocation.entry import (
    CHANGED, EXPIRED, IDLE, REACHABLE, REGISTERED, REMOVED, RUNNING, TAKEN_OVER, UNKNOWN, UNREACHABLE,
    UNREGISTERED, Change, Entry, Owner,
)
from seqlocation.errors import InvalidName, LocationError, NameTaken, NotFound, RegistryUnavailable
from seqlocation.names import (
    COMPONENT, SEQUENCER, Name, check_obsmode, component_name, lookup_names, parse_component, parse_name,
    parse_sequencer, sequencer_name,
)
from seqlocation.registration import Registration
from seqlocation.selection import ENVIRONMENT, RegistrySpec, add_registry_argument, registry_spec
from seqlocation.store import REFRESH_PERIOD, TTL
from seqlocation.watch import Watcher

__all__ = [
    "CHANGED", "COMPONENT", "ENVIRONMENT", "EXPIRED", "IDLE", "REACHABLE", "REFRESH_PERIOD", "REGISTERED",
    "REMOVED", "RUNNING", "SEQUENCER", "TAKEN_OVER", "TTL", "UNKNOWN", "UNREACHABLE", "UNREGISTERED",
    "Change", "Claim", "Data", "Directory", "Entry", "InvalidName", "LocationError", "Name", "NameTaken",
    "NotFound", "Owner", "Registration", "RegistrySpec", "RegistryUnavailable", "Watcher",
    "add_registry_argument", "check_obsmode", "component_name", "lookup_names", "matches",
    "open_directory", "parse_component", "parse_name", "parse_sequencer", "registry_spec", "sequencer_name",
]
