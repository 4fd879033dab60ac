"""``python -m seqtool``: the same as the ``seqtool`` console script."""
import sys

from seqtool.cli import main

sys.exit(main())
