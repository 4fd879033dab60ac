"""``seqtool sm``: the sequence manager's command line (see docs/sequence-manager.md).

Exit statuses, for scripts: 0 done (or nothing to do: the mode already runs, nothing
to shut down); 1 refused or failed, and nothing changed (what had been started is
unloaded again); 2 the request cannot be carried out at all (bad arguments, a
configuration file that cannot be used, an observing mode it does not name, the
location service unreachable).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from typing import Any

import trio

from seqclient.config import Config, ConfigError, load_config
from seqlocation import LocationError, add_registry_argument, open_directory
from seqlocation.tool import format_table
from seqmanager.manager import DEFAULT_TIMEOUT, BadRequest, ManagerError, Report, SequenceManager
from seqmanager.modes import ModeStatus, ResourceUse

OK, REFUSED, CANNOT = 0, 1, 2
CONFIG_ENVIRONMENT = "SEQ_CONFIG"
#: Actions that judge observing modes, hence need the configuration file.
NEED_CONFIG = {"obsmodes", "configure", "start", "resources"}


def configure(parser: argparse.ArgumentParser) -> None:
    _common_options(parser, defaults=True)
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    def action(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = actions.add_parser(name, help=help_text, description=help_text)
        _common_options(sub, defaults=False)  # also accepted after the action
        return sub

    action("obsmodes", "each observing mode: Configured, Configurable (and where it would start) or "
           "NonConfigurable (and why)")
    action("configure", "start every sequencer of an observing mode on idle components, the driving one "
           "first; all or nothing").add_argument("obsmode", metavar="OBSMODE")
    for name, what in (("start", "start one sequencer on an idle component of its subsystem, else of ESW"),
                       ("restart", "unload a running sequencer's script and load it again")):
        sub = action(name, what)
        sub.add_argument("subsystem", metavar="SUBSYSTEM")
        sub.add_argument("obsmode", metavar="OBSMODE")
        sub.add_argument("variation", metavar="VARIATION", nargs="?")
    shutdown = action("shutdown", "unload the sequencers of an observing mode, of a subsystem, or all "
                      "(the components stay, idle)")
    which = shutdown.add_mutually_exclusive_group(required=True)
    which.add_argument("obsmode", metavar="OBSMODE", nargs="?")
    which.add_argument("--subsystem", metavar="SUBSYSTEM")
    which.add_argument("--all", action="store_true")
    action("resources", "each resource of the observing modes: in use by which mode, or free")


def _common_options(parser: argparse.ArgumentParser, *, defaults: bool) -> None:
    """The options every action takes, before or after its name (after it, they keep what was given before)."""
    def default(value: object) -> object:
        return value if defaults else argparse.SUPPRESS

    parser.add_argument("--config", metavar="FILE", default=default(None),
                        help=f"the configuration file with the scripts and obsmodes sections [default: ${CONFIG_ENVIRONMENT}]")
    add_registry_argument(parser, default=default(None))
    parser.add_argument("--json", action="store_true", default=default(False), help="print JSON, for programs")
    parser.add_argument("--timeout", type=float, metavar="SECONDS", default=default(DEFAULT_TIMEOUT),
                        help=f"give a component this long to load or unload a script [default: {DEFAULT_TIMEOUT:g}]")


def main(args: argparse.Namespace) -> int:
    try:
        config = _config(args)
    except ConfigError as exc:
        return _fail(args, CANNOT, str(exc))
    try:
        return trio.run(_act, args, config)
    except (LocationError, BadRequest) as exc:
        return _fail(args, CANNOT, str(exc))
    except ManagerError as exc:
        return _fail(args, REFUSED, str(exc), exc.data)
    except KeyboardInterrupt:
        return CANNOT


def _config(args: argparse.Namespace) -> Config:
    path = args.config or os.environ.get(CONFIG_ENVIRONMENT)
    if path is None and args.action in NEED_CONFIG:
        raise ConfigError(f"no configuration file: give --config FILE (or set {CONFIG_ENVIRONMENT}), the file "
                          "whose obsmodes section names the observing modes")
    return load_config(path)


async def _act(args: argparse.Namespace, config: Config) -> int:
    async with open_directory(args.redis) as directory:
        manager = SequenceManager(directory, config, timeout=args.timeout)
        if args.action == "obsmodes":
            _show_table(args, "obsmodes", await manager.obsmodes(), ["OBSMODE", "STATUS"],
                        "no observing modes in the configuration (its obsmodes section)")
        elif args.action == "resources":
            _show_table(args, "resources", await manager.resources(), ["RESOURCE", "STATE"],
                        "no resources in the configuration (the obsmodes' resources)")
        else:
            _show_report(args, await _change(args, manager))
    return OK


async def _change(args: argparse.Namespace, manager: SequenceManager) -> Report:
    if args.action == "configure":
        return await manager.configure(args.obsmode)
    if args.action == "start":
        return await manager.start(args.subsystem, args.obsmode, args.variation)
    if args.action == "restart":
        return await manager.restart(args.subsystem, args.obsmode, args.variation)
    return await manager.shutdown(args.obsmode, args.subsystem)


def _show_table(args: argparse.Namespace, key: str, items: Sequence[ModeStatus] | Sequence[ResourceUse],
                heading: list[str], empty: str) -> None:
    """Modes or resources: a table of their rows (``heading`` names the first two columns), or JSON under ``key``."""
    if args.json:
        _print_json({"ok": True, key: [item.to_dict() for item in items]})
    elif not items:
        print(empty)
    else:
        print("\n".join(format_table([[*heading, ""], *(item.row() for item in items)])))


def _show_report(args: argparse.Namespace, report: Report) -> None:
    if args.json:
        _print_json({"ok": True, "changed": report.changed, **report.data})
    else:
        print(report.text)


def _fail(args: argparse.Namespace, status: int, message: str, data: dict[str, Any] | None = None) -> int:
    if getattr(args, "json", False):
        _print_json({"ok": False, "error": message, **(data or {})})
    print(f"seqtool sm: {message}", file=sys.stderr)
    return status


def _print_json(document: dict[str, Any]) -> None:
    print(json.dumps(document, indent=2), flush=True)
