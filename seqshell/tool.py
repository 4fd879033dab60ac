"""``seqtool shell`` / ``seqshell``: start the shell in one of its three modes.

- local (default): spawns and owns a kernel; interactive at a terminal, or runs
  the commands of a file or of stdin in order;
- ``--pipe``: the server's child, speaking the protocol on stdin/stdout;
- ``--connect [HOST:]PORT``: a remote client of a seqserver.
"""
from __future__ import annotations

import argparse
import os
import shlex
import signal
import sys

import trio

import protocol

from seqlocation.selection import add_registry_argument
from seqshell.app import SeqShell
from seqclient.collector import tune_for_relaying
from seqclient.config import Config, ConfigError, OttoConfig, load_config
from seqshell.otto import OttoSession
from seqshell.portal import TrioPortal
from seqshell.session import SessionDirectory


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", nargs="?", metavar="FILE",
                        help="run the commands of this file, then exit (default: read commands from stdin)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--connect", metavar="[HOST:]PORT|NAME",
                      help="execute the commands on the seqserver at this address, or on the sequence component or "
                      "sequencer of this name (IRIS@IRIS_ifsonly, found in the location service), instead of a "
                      "local kernel")
    mode.add_argument("--pipe", action="store_true",
                      help="speak the protocol on stdin/stdout (how seqserver runs the shell)")
    access = parser.add_argument_group("access to a server (--connect)")
    access.add_argument("--token", help="the server's access token (default: from --token-file, $SEQ_TOKEN, "
                        "or the token file a server of this user generated, ~/.local/state/seq/token)")
    access.add_argument("--token-file", metavar="PATH", help="read the access token from this file")
    access.add_argument("--tls", action="store_true", help="connect with TLS, verifying the server's certificate")
    access.add_argument("--cacert", metavar="FILE",
                        help="trust the certificate authority in this PEM file (implies --tls)")
    add_registry_argument(access)
    parser.add_argument("--config", metavar="FILE",
                        help="configuration file (YAML, manual 4.3): its otto section enables fetch; "
                        "a relative path is looked up in CFGPATH")
    parser.add_argument("--exit-on-error", action="store_true",
                        help="in a command file, stop at the first command that fails")
    parser.add_argument("--simulation", action="store_true",
                        help="start the kernel in simulation mode: its scripts skip real hardware "
                        "(seq.lib.simulating())")


def main(args: argparse.Namespace) -> int:
    tune_for_relaying()
    session = SessionDirectory()
    session.configure_logging(args.log_level)
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"seqshell: {exc}", file=sys.stderr)
        return 2
    if args.pipe:
        return trio.run(serve_pipe, session, config, args.log_level, args.simulation)
    return run_shell(args, session, config)


def make_target(args: argparse.Namespace, session: SessionDirectory, config: Config):
    if args.connect:
        from seqclient import access
        from seqshell.remote import RemoteServer

        try:
            token = access.explicit_token(args.token, args.token_file)
            tls = access.client_ssl_context(args.cacert) if args.tls or args.cacert else None
        except (OSError, ValueError) as exc:  # ssl.SSLError is an OSError
            raise ValueError(f"cannot set up access to the server: {exc}") from None
        return RemoteServer(args.connect, token=token, ssl_context=tls, redis=args.redis)
    from seqshell.local import LocalKernel

    return LocalKernel(session_dir=str(session.path), log_level=args.log_level, instrument=instrument_of(config),
                       simulation=args.simulation)


def instrument_of(config: Config) -> str | None:
    """The instrument whose package the kernel checks OBs against: the configured OTTO's."""
    return config.otto.insid if config.otto else None


def otto_starter(session: SessionDirectory, nursery: trio.Nursery, on_problem):
    """How the shell starts talking to an OTTO: fetched OBs are kept in the session directory,
    and OB events are reported by a task of ``nursery``."""
    async def start_otto(otto_config: OttoConfig) -> OttoSession:
        otto_session = OttoSession(otto_config, session.path / "obs", on_problem=on_problem)
        await nursery.start(otto_session.reporter.run)
        return otto_session

    return start_otto


def attach_event_handling(target, session: SessionDirectory, app: SeqShell, show) -> None:
    """What happens to ``target``'s events, a burst at a time: user log records to seq_user.log
    (on disk after each burst), OB events to OTTO, then ``show`` (of the whole burst)."""
    async def handle_events(events: list[protocol.Event]) -> None:
        session.record_user_logs(events)
        if app.otto_session is not None:
            for event in events:
                app.otto_session.reporter.handle(event)
        await show(events)

    target.on_events = handle_events


def run_shell(args: argparse.Namespace, session: SessionDirectory, config: Config) -> int:
    if args.file and not os.path.isfile(args.file):
        print(f"seqshell: no command file {args.file}", file=sys.stderr)
        return 2
    try:
        target = make_target(args, session, config)
    except ValueError as exc:
        print(f"seqshell: {exc}", file=sys.stderr)
        return 2
    interactive = args.file is None and sys.stdin.isatty() and sys.stdout.isatty()
    with TrioPortal() as portal:
        app = SeqShell(target, portal=portal, remote=bool(args.connect), interactive=interactive,
                       follow_runs=not interactive, exit_on_error=args.exit_on_error)
        app.poutput(f"session directory: {session.path}")
        app.start_otto = otto_starter(session, portal.nursery,
                                      lambda problem: app.on_event(protocol.notice(problem)))
        if config.otto and not args.connect:  # through a server, OTTO is the server's shell's business
            app.otto_session = portal.run(app.start_otto, config.otto)

        shown_level = protocol.level_number(args.log_level)

        async def show(events: list[protocol.Event]) -> None:
            for event in events:
                if event.kind == "log" and protocol.level_number(event.level) < shown_level:
                    continue  # below --log-level: in seq_user.log, not on the screen
                app.on_event(event)

        attach_event_handling(target, session, app, show)
        started = portal.run(target.start, portal.nursery)
        app.show(started)
        if not started.ok and args.connect:
            return 2
        if args.file:
            app.onecmd_plus_hooks(f"run_script {shlex.quote(args.file)}", add_to_history=False)
        else:
            app.cmdloop()
        if portal.alive:
            portal.run(target.close)
        app.flush_output()
    return app.exit_status()


OUTBOX_FLUSH_TIMEOUT = 5.0  # seconds for the last messages to reach the server when the shell ends


async def serve_pipe(session: SessionDirectory, config: Config, log_level: str, simulation: bool = False) -> int:
    from seqshell.local import LocalKernel
    from seqshell.pipe import PipeServer, detach_stdio

    protocol_in, protocol_out = detach_stdio()
    target = LocalKernel(session_dir=str(session.path), log_level=log_level, instrument=instrument_of(config),
                         simulation=simulation)
    async with trio.open_nursery() as nursery:
        app = SeqShell(target, portal=None)
        server = PipeServer(app, target, trio.lowlevel.FdStream(protocol_in), trio.lowlevel.FdStream(protocol_out))
        app.start_otto = otto_starter(
            session, nursery, lambda problem: nursery.start_soon(server.forward_events, [protocol.notice(problem)]))
        if config.otto:
            app.otto_session = await app.start_otto(config.otto)
        attach_event_handling(target, session, app, server.forward_events)
        serving = trio.CancelScope()
        kernel_died = False

        async def end_with_kernel(death: str) -> None:
            """The server restarts the shell and kernel together and restores their work: say why, and go."""
            nonlocal kernel_died
            kernel_died = True
            await server.forward_events([protocol.notice(f"{death}; the shell ends with it", "ERROR")])
            serving.cancel()

        target.on_death = end_with_kernel
        nursery.start_soon(server.run_writer)
        started = await target.start(nursery)
        if not started.ok:
            print(f"seqshell: {started.error}", file=sys.stderr)
        with serving:
            nursery.start_soon(stop_on_signal, serving)
            await server.serve()
        await target.close()
        server.outbox.finish()
        with trio.move_on_after(OUTBOX_FLUSH_TIMEOUT):
            await server.outbox.written_out.wait()
        nursery.cancel_scope.cancel()
    return 1 if kernel_died else 0


async def stop_on_signal(scope: trio.CancelScope) -> None:
    """SIGTERM or SIGINT: stop serving, so that the kernel is stopped before the shell ends."""
    with trio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
        async for _ in signals:
            scope.cancel()
            return
