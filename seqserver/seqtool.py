"""The ``seqtool`` meta command of the manual (chapter 7).

Each subcommand lives in the module of the part it belongs to; this module only
assembles them, so that ``seqtool --help`` lists what is installed and each
subcommand's options stay next to its code. A subcommand module provides
``configure(parser)`` and ``main(args) -> int``.
"""
import argparse
import importlib
import sys

from seqkernel.log import LEVELS

SUBCOMMANDS = {
    "run": ("seqkernel.runner", "Executes sequencer scripts, one after the other"),
    "draw": ("seqkernel.draw", "Generates DAG images of sequencer scripts"),
    "shell": ("seqshell.tool", "Starts an interactive CLI to load and run sequencer scripts"),
    "server": ("seqserver.tool", "Starts the sequencer server"),
    "gui": ("seqserver.guitool", "Starts the sequencer GUI"),
    "tino": ("seqserver.tino", "Friend of OTTO: serves OBs from a folder"),
}


def available_subcommands():
    """Yield (name, module, help) for each subcommand whose module is installed."""
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and module_name.startswith(exc.name):
                continue
            raise
        yield name, module, help_text


def build_parser():
    parser = argparse.ArgumentParser(prog="seqtool", description="The sequencer's meta command.")
    subparsers = parser.add_subparsers(dest="subcommand", metavar="COMMAND", required=True)
    for name, module, help_text in available_subcommands():
        sub = subparsers.add_parser(name, help=help_text, description=help_text)
        sub.add_argument(
            "--log-level",
            type=str.upper,
            choices=LEVELS,
            default="INFO",
            help="Will present logs at this level or higher [default: INFO]",
        )
        module.configure(sub)
        sub.set_defaults(handler=module.main)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
