"""The manual's ``seq.lib``: the script API (see :mod:`seqkernel`)."""
from seqkernel import *  # noqa: F401,F403
from seqkernel import __all__ as __all__  # noqa: F401 (``as``: re-exported, for type checkers too)
