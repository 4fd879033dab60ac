"""``python -m seqserver`` (the ``seqserver`` console script): same options as ``seqtool server``."""
import argparse
import sys

from seqserver import tool
from seqtool.cli import add_log_level


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="seqserver", description="Starts the sequencer server.")
    add_log_level(parser)
    tool.configure(parser)
    return tool.main(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
