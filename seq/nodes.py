"""The manual's ``seq.nodes`` (2.2, 5.9): the same objects as ``seq.lib.nodes``."""
from seq.lib.nodes import *  # noqa: F401,F403
