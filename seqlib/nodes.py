"""The manual's ``seqlib.nodes`` (listing 11): the same objects as ``seq.lib.nodes``."""
from seq.lib.nodes import *  # noqa: F401,F403
