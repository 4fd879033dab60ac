"""What the command language (``protocol/README.md``, section 8) says about its commands
beyond their text: which may take long."""

WAITING_COMMANDS = frozenset({"wait", "load", "ob", "obdata", "session"})
"""Commands that may take long (``wait``; the loads, while modules are imported): served
beside the others, so their replies may come after those of commands sent later."""
