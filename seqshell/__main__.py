"""``python -m seqshell`` / the ``seqshell`` console script."""
import argparse
import sys

from seqkernel.log import LEVELS
from seqshell import tool


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="seqshell", description="The sequencer's shell (manual 7.1).")
    parser.add_argument("--log-level", type=str.upper, default="INFO", choices=LEVELS,
                        help="show the scripts' log records at this level or higher; also the level of "
                        "seq.log and kernel.log in the session directory")
    tool.configure(parser)
    return tool.main(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
