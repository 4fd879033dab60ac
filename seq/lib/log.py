"""The manual's ``seq.lib.log``: the user logger."""
from seqkernel.log import getUserLogger, logConfig

__all__ = ["getUserLogger", "logConfig"]
