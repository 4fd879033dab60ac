"""The ``seqtool`` meta command of the manual (chapter 7).

Each subcommand lives in the module of the part it belongs to and provides
``configure(parser)`` and ``main(args) -> int``; this module only names them.
A subcommand's module is imported when that subcommand runs, so ``seqtool
--help`` answers at once and a client's subcommand never loads the engine.
"""
from __future__ import annotations

import argparse
import importlib
import sys

import protocol

SUBCOMMANDS = {
    "run": ("seqkernel.runner", "Executes sequencer scripts, one after the other"),
    "draw": ("seqkernel.draw", "Generates DAG images of sequencer scripts"),
    "shell": ("seqshell.tool", "Starts an interactive CLI to load and run sequencer scripts"),
    "server": ("seqserver.tool", "Starts the sequencer server"),
    "gui": ("seqtool.gui", "Starts the sequencer GUI"),
    "tino": ("seqtool.tino", "Friend of OTTO: serves OBs from a folder"),
    "locate": ("seqlocation.tool", "Lists the sequence components and sequencers of the location service"),
    "audit": ("seqserver.audit_tool", "Shows who changed what on the sequencer servers, when, and how it ended"),
    "sm": ("seqmanager.tool", "The sequence manager: observing modes started and stopped on sequence components"),
}


def add_log_level(parser: argparse.ArgumentParser, what: str = "Will present logs") -> None:
    """The ``--log-level`` option every command of seq takes (``WARN`` and ``WARNING`` alike)."""
    parser.add_argument("--log-level", type=protocol.log_level, default="INFO", metavar="LEVEL",
                        help=f"{what} at this level or higher: {', '.join(protocol.LOG_LEVELS)} [default: INFO]")


def build_parser(chosen: str | None = None) -> argparse.ArgumentParser:
    """The parser of ``seqtool``; only the subcommand ``chosen`` (if any) is imported and configured."""
    parser = argparse.ArgumentParser(prog="seqtool", description="The sequencer's meta command.")
    subparsers = parser.add_subparsers(dest="subcommand", metavar="COMMAND", required=True)
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        sub = subparsers.add_parser(name, help=help_text, description=help_text)
        if name == chosen:
            module = importlib.import_module(module_name)
            add_log_level(sub)
            module.configure(sub)
            sub.set_defaults(handler=module.main)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    chosen = next((word for word in argv if not word.startswith("-")), None)
    args = build_parser(chosen if chosen in SUBCOMMANDS else None).parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
