"""The manual's ``seq.lib.ob``: observation blocks."""
from seqkernel.ob import OB

__all__ = ["OB"]
