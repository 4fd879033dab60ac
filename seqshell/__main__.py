"""``python -m seqshell`` / the ``seqshell`` console script."""
import argparse
import sys

from seqshell import tool
from seqtool.cli import add_log_level


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="seqshell", description="The sequencer's shell (manual 7.1).")
    add_log_level(parser, "Shows the scripts' log records, and keeps the shell's own log (seq.log),")
    tool.configure(parser)
    return tool.main(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
