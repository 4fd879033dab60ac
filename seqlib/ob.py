"""The manual's ``seqlib.ob`` (listing 10): the same objects as ``seq.lib.ob``."""
from seq.lib.ob import OB

__all__ = ["OB"]
