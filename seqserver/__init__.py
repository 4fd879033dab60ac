"""seqserver: the instrument host's daemon: one shell and kernel, any number of clients, one port."""
