"""``seqtool shell`` / ``seqshell``: start the shell in one of its three modes.

- local (default): spawns and owns a kernel; interactive at a terminal, or runs
  the commands of a file or of stdin in order;
- ``--pipe``: the server's child, speaking the protocol on stdin/stdout;
- ``--connect [HOST:]PORT``: a remote client of a seqserver.
"""
from __future__ import annotations

import argparse
import shlex
import sys

import trio

from seqshell.app import SeqShell
from seqshell.portal import TrioPortal
from seqshell.session import SessionDirectory


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", nargs="?", metavar="FILE",
                        help="run the commands of this file, then exit (default: read commands from stdin)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--connect", metavar="[HOST:]PORT",
                      help="execute the commands on the seqserver at this address instead of a local kernel")
    mode.add_argument("--pipe", action="store_true",
                      help="speak the protocol on stdin/stdout (how seqserver runs the shell)")
    parser.add_argument("--token", help="access token for --connect (default: $SEQ_TOKEN)")
    parser.add_argument("--exit-on-error", action="store_true",
                        help="in a command file, stop at the first command that fails")


def main(args: argparse.Namespace) -> int:
    session = SessionDirectory()
    session.configure_logging(args.log_level)
    if args.pipe:
        return trio.run(serve_pipe, session, args.log_level)
    return run_shell(args, session)


def make_target(args: argparse.Namespace, session: SessionDirectory):
    if args.connect:
        from seqshell.remote import RemoteServer

        return RemoteServer(args.connect, token=args.token)
    from seqshell.local import LocalKernel

    return LocalKernel(session_dir=str(session.path), log_level=args.log_level)


def run_shell(args: argparse.Namespace, session: SessionDirectory) -> int:
    try:
        target = make_target(args, session)
    except ValueError as exc:
        print(f"seqshell: {exc}", file=sys.stderr)
        return 2
    interactive = args.file is None and sys.stdin.isatty() and sys.stdout.isatty()
    with TrioPortal() as portal:
        app = SeqShell(target, portal=portal, remote=bool(args.connect), interactive=interactive,
                       follow_runs=not interactive,
                       exit_on_error=args.exit_on_error)

        async def handle_event(event: dict) -> None:
            if event.get("kind") == "log":
                session.record_user_log(event)
            app.on_event(event)

        target.on_event = handle_event
        app.poutput(f"session directory: {session.path}")
        started = portal.run(target.start, portal.nursery)
        app.show(started)
        if not started.ok and args.connect:
            return 2
        if args.file:
            app.onecmd_plus_hooks(f"run_script {shlex.quote(args.file)}", add_to_history=False)
        else:
            app.cmdloop()
        portal.run(target.close)
        app.flush_output()
    return app.exit_status()


async def serve_pipe(session: SessionDirectory, log_level: str) -> int:
    from seqshell.local import LocalKernel
    from seqshell.pipe import PipeServer, detach_stdio

    protocol_in, protocol_out = detach_stdio()
    target = LocalKernel(session_dir=str(session.path), log_level=log_level)
    app = SeqShell(target, portal=None)
    async with trio.open_nursery() as nursery:
        server = PipeServer(app, target, trio.lowlevel.FdStream(protocol_in), trio.lowlevel.FdStream(protocol_out))

        async def handle_event(event: dict) -> None:
            if event.get("kind") == "log":
                session.record_user_log(event)
            await server.forward_event(event)

        target.on_event = handle_event
        started = await target.start(nursery)
        if not started.ok:
            print(f"seqshell: {started.error}", file=sys.stderr)
        await server.serve()
        await target.close()
        nursery.cancel_scope.cancel()
    return 0

