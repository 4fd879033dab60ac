"""seqserver: the instrument host's daemon, its client library and the web GUI's side."""

__version__ = "0.1.0"
