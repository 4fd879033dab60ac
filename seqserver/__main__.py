"""``python -m seqserver`` (the ``seqserver`` console script): same options as ``seqtool server``."""
import argparse
import sys

from seqkernel.log import LEVELS
from seqserver import tool


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="seqserver", description="Starts the sequencer server.")
    parser.add_argument("--log-level", type=str.upper, choices=LEVELS, default="INFO",
                        help="Will present logs at this level or higher [default: INFO]")
    tool.configure(parser)
    return tool.main(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
