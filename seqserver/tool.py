"""``seqtool server`` (and ``seqserver``): start the sequencer server."""
from __future__ import annotations

import argparse
import logging
import sys
from functools import partial

import structlog
import trio

import protocol
from seqserver import server


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--address",
        default="8000",
        metavar="[HOST:]PORT",
        help="where to listen; PORT alone listens on every interface, port 0 picks a free one "
        "[default: 8000]",
    )
    parser.add_argument(
        "--client-queue",
        type=int,
        default=server.DEFAULT_QUEUE_LIMIT,
        metavar="N",
        help="messages queued for a slow client before it is resynchronised with a fresh snapshot "
        f"[default: {server.DEFAULT_QUEUE_LIMIT}]",
    )
    parser.add_argument(
        "--max-clients",
        type=int,
        default=server.DEFAULT_MAX_CLIENTS,
        metavar="N",
        help=f"clients served at once; more are refused [default: {server.DEFAULT_MAX_CLIENTS}]",
    )
    parser.add_argument(
        "--max-message-size",
        type=int,
        default=protocol.MAX_MESSAGE_SIZE,
        metavar="BYTES",
        help="largest message accepted from a client; a larger one is refused with an error "
        f"[default: {protocol.MAX_MESSAGE_SIZE}]",
    )


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


def main(args: argparse.Namespace) -> int:
    configure_logging(args.log_level)
    try:
        server.parse_address(args.address)
    except ValueError as exc:
        print(f"seqserver: {exc}", file=sys.stderr)
        return 2
    try:
        trio.run(partial(server.serve, args.address, queue_limit=args.client_queue,
                         max_clients=args.max_clients, max_message_size=args.max_message_size))
    except OSError as exc:
        print(f"seqserver: cannot listen on {args.address}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    return 0

