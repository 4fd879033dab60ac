"""``python -m seqserver`` (the ``seqserver`` console script): same options as ``seqtool server``."""
import argparse
import sys

from seqserver import tool
from seqserver.seqtool import LOG_LEVELS


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="seqserver", description="Starts the sequencer server.")
    parser.add_argument("--log-level", type=str.upper, choices=LOG_LEVELS, default="INFO",
                        help="Will present logs at this level or higher [default: INFO]")
    tool.configure(parser)
    return tool.main(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
