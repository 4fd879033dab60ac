"""The manual's ``seqlib`` (listings 10 and 11): another name for ``seq.lib``."""
from seq.lib import *  # noqa: F401,F403
from seq.lib import __all__ as __all__  # noqa: F401 (``as``: re-exported, for type checkers too)
