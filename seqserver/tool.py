"""``seqtool server`` (and ``seqserver``): start the sequencer server."""
from __future__ import annotations

import argparse
import logging
import os
import pathlib
import sys
from functools import partial

import structlog
import trio

import protocol
from seqclient import access
from seqclient.addresses import parse_address
from seqclient.collector import tune_for_relaying
from seqserver import server
from seqserver.chain import SHELL_COMMAND
from seqclient.config import ConfigError, load_config
from seqlocation import (
    ENVIRONMENT, InvalidName, LocationError, NameTaken, RegistryUnavailable, add_registry_argument, parse_component,
    registry_spec,
)
from seqserver.component import ComponentOptions
from seqserver.keys import Keys
from seqserver.audit import DEFAULT_BACKUPS, DEFAULT_MAX_BYTES, AuditOptions
from seqserver.doorway import DEFAULT_FAILURE_BURST, DEFAULT_MAX_PENDING, Doorway
from seqclient.errors import leaves


def _at_least_one(text: str) -> int:
    """A count or size that must be positive: 0 or less would turn every client away, silently."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--address",
        default="8000",
        metavar="[HOST:]PORT",
        help="where to listen; PORT alone listens on every interface, port 0 picks a free one "
        "[default: 8000]",
    )
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="configuration file (YAML, manual 4.3) for the server's shell: its otto section enables fetch",
    )
    tokens = parser.add_mutually_exclusive_group()
    tokens.add_argument(
        "--token-file",
        metavar="PATH",
        help="file holding the access tokens clients must send, from anywhere: one a line, each with the role it "
        "gives (observer, operator or engineer) and a name for the audit log (TOKEN [ROLE [NAME]]); without it "
        "the server admits clients of this machine that hold its user's own token (protected mode: "
        "~/.local/state/seq/token)",
    )
    tokens.add_argument(
        "--generate-token",
        action="store_true",
        help="make a new access token, write it to ~/.local/state/seq/token ($XDG_STATE_HOME/seq/token, "
        "readable by you only, where clients of yours find it) and print it",
    )
    parser.add_argument("--component", metavar="SUBSYSTEM.NAME",
                        help="start a sequence component (e.g. ESW.ESW_77): register it in the location service, "
                        "where loadscript makes it the sequencer of an observing mode (see docs/location.md)")
    parser.add_argument("--simulation", action="store_true",
                        help="a component in simulation mode: its scripts simulate (seq.lib.simulating()), and "
                        "loadscript takes a script's simulation module where the configuration names one")
    add_registry_argument(parser)
    parser.add_argument("--allow-host", action="append", default=[], metavar="NAME",
                        help="a further name browsers may reach the server by (it answers to its IP addresses, "
                        "localhost and this machine's names); repeat for more")
    parser.add_argument("--allow-origin", action="append", default=[], metavar="ORIGIN",
                        help="a further web origin (e.g. https://portal.example.org) whose pages may use the server "
                        "(besides its own page); repeat for more")
    parser.add_argument("--tls-cert", metavar="FILE", help="serve TLS with this certificate (PEM; with --tls-key)")
    parser.add_argument("--tls-key", metavar="FILE", help="the private key of --tls-cert (PEM)")
    parser.add_argument(
        "--client-queue",
        type=_at_least_one,
        default=server.DEFAULT_QUEUE_LIMIT,
        metavar="BYTES",
        help="bytes queued for a slow client past which its state, log and output events are dropped until "
        "it is resynchronised with a fresh snapshot; at four times as much it is disconnected "
        f"[default: {server.DEFAULT_QUEUE_LIMIT}]",
    )
    parser.add_argument(
        "--max-clients",
        type=_at_least_one,
        default=server.DEFAULT_MAX_CLIENTS,
        metavar="N",
        help=f"clients served at once; more are refused [default: {server.DEFAULT_MAX_CLIENTS}]",
    )
    parser.add_argument(
        "--max-message-size",
        type=_at_least_one,
        default=protocol.MAX_MESSAGE_SIZE,
        metavar="BYTES",
        help="largest message accepted from a client; a larger one is refused with an error "
        f"[default: {protocol.MAX_MESSAGE_SIZE}]",
    )


    door = parser.add_argument_group("connections not yet greeted")
    door.add_argument("--max-pending", type=_at_least_one, default=DEFAULT_MAX_PENDING, metavar="N",
                      help="connections waiting to be greeted at once (HTTP ones included), at most a quarter of "
                      f"them from one address; more are turned away [default: {DEFAULT_MAX_PENDING}]")
    door.add_argument("--failed-attempts", type=_at_least_one, default=DEFAULT_FAILURE_BURST, metavar="N",
                      help="failed attempts (wrong token, bad or missing hello) an address may make at once; then "
                      f"one a second, others turned away [default: {DEFAULT_FAILURE_BURST}]")
    audit = parser.add_argument_group("audit trail")
    audit.add_argument("--audit-log", type=pathlib.Path, metavar="PATH",
                       help="where to append the audit trail (who changed what, when, and how it ended; see seqtool "
                       "audit) [default: ~/.local/state/seq/audit/seqserver-PORT.jsonl]")
    audit.add_argument("--audit-max-bytes", type=_at_least_one, default=DEFAULT_MAX_BYTES, metavar="BYTES",
                       help=f"size at which the audit log is rotated [default: {DEFAULT_MAX_BYTES}]")
    audit.add_argument("--audit-backups", type=int, default=DEFAULT_BACKUPS, metavar="N",
                       help=f"rotated audit logs kept [default: {DEFAULT_BACKUPS}]")


def configure_logging(level: str) -> None:
    """structlog over stdlib logging, to stderr (stdout carries only the 'listening' line)."""
    logging.basicConfig(level=getattr(logging, level, logging.INFO), stream=sys.stderr, format="%(message)s")
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            structlog.stdlib.add_logger_name,
            structlog.stdlib.add_log_level,
            structlog.processors.TimeStamper(fmt="iso"),
            structlog.processors.format_exc_info,
            structlog.dev.ConsoleRenderer(colors=False),
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def access_options(args: argparse.Namespace) -> dict:
    """Who the server admits, from the options; ValueError or OSError saying what is wrong.

    A token given (or generated) admits its holders from anywhere; without one the
    server takes its user's own and admits clients of this machine only.
    """
    if bool(args.tls_cert) != bool(args.tls_key):
        raise ValueError("--tls-cert and --tls-key go together")
    if args.token_file:
        keys = Keys.from_file(args.token_file)
    elif args.generate_token:
        token, path = access.generate_token()
        print(f"seqserver: access token {token} (written to {path}, readable by you only)", file=sys.stderr)
        keys = Keys.single(token, "generated")
    else:
        keys = Keys.single(access.user_token(), "owner")
    tls = access.server_ssl_context(args.tls_cert, args.tls_key) if args.tls_cert else None
    return {"keys": keys, "local_only": not (args.token_file or args.generate_token), "ssl_context": tls,
            "allowed_hosts": tuple(args.allow_host), "allowed_origins": tuple(args.allow_origin)}


def main(args: argparse.Namespace) -> int:
    tune_for_relaying()
    configure_logging(args.log_level)
    try:
        parse_address(args.address, default_host=None)
    except ValueError as exc:
        print(f"seqserver: {exc}", file=sys.stderr)
        return 2
    try:
        options = access_options(args)
    except (OSError, ValueError) as exc:  # ssl.SSLError is an OSError
        print(f"seqserver: {exc}", file=sys.stderr)
        return 2
    shell_argv = [*SHELL_COMMAND, "--log-level", args.log_level]
    try:
        config = load_config(args.config)  # refused here, not by every shell the server would start
        component = component_options(args)
        registry = registry_spec(args.redis) if args.redis else None
    except (ConfigError, LocationError) as exc:
        print(f"seqserver: {exc}", file=sys.stderr)
        return 2
    if args.config:
        shell_argv += ["--config", args.config]
    if args.simulation:
        shell_argv.append("--simulation")
    if registry is not None:  # so that its scripts find other sequencers (seq.lib.get_sequencer) there too
        os.environ[ENVIRONMENT] = str(registry)
    try:
        audit = AuditOptions(args.audit_log, args.audit_max_bytes, args.audit_backups)
        trio.run(partial(server.serve, args.address, component, audit, **options, shell_argv=shell_argv,
                         queue_limit=args.client_queue, max_clients=args.max_clients,
                         max_message_size=args.max_message_size, config=config, registry=args.redis,
                         doorway=Doorway(max_pending=args.max_pending, failure_burst=args.failed_attempts)))
    except BaseException as failure:  # noqa: BLE001 (what trio.run raises may come in a group)
        return _exit_status(failure, args.address)
    return 0


def _exit_status(failure: BaseException, address: str) -> int:
    """Say why the server could not serve (2: refused by the location service, 1: cannot listen),
    or let anything else go on up."""
    problems = list(leaves(failure))
    if all(isinstance(problem, (NameTaken, RegistryUnavailable)) for problem in problems):
        for problem in problems:
            print(f"seqserver: {problem}", file=sys.stderr)
        return 2
    if all(isinstance(problem, OSError) and problem.filename for problem in problems):
        print(f"seqserver: cannot write {problems[0].filename}: {problems[0].strerror}", file=sys.stderr)
        return 1
    if all(isinstance(problem, OSError) for problem in problems):
        print(f"seqserver: cannot listen on {address}: {problems[0].strerror or problems[0]}", file=sys.stderr)
        return 1
    raise failure


def component_options(args: argparse.Namespace) -> ComponentOptions | None:
    """What --component, --redis and --simulation ask for; InvalidName for a bad component name."""
    if args.component is None:
        if args.simulation:
            raise InvalidName("--simulation is for a sequence component: give --component SUBSYSTEM.NAME too")
        return None
    return ComponentOptions(parse_component(args.component).text, args.redis, args.simulation)

