"""``seqtool gui``: the Sequencer GUI of the manual's chapter 4, in the browser.

The page is served by seqserver itself, so this command only makes sure a server
is there: it connects to the one at ``--address``, or starts one when none
answers (moving up to ten ports on when the port is taken by something else, as
the manual's 4.3 says), loads the scripts and OBs given, starts them with
``--run``, prints the page's address and opens a browser. A server it started
runs until this command is interrupted. With ``--replay FILE`` it shows a run
recorded by ``seqtool run`` instead (its ``seqrun_<pid>.log``): a server of its
own (:mod:`seqserver.replay`) serves the page and the run's events, and nothing runs.

The access token is never printed nor put on a command line (where every user of
the machine could read it): the browser is sent to a small page in the user's
state directory, readable by that user only, which forwards to the GUI with the
token in the address's fragment; the GUI trades it for a sign-in cookie at once.
"""
from __future__ import annotations

import argparse
import functools
import html
import os
import pathlib
import signal
import socket
import subprocess
import sys
import urllib.parse
import webbrowser

import trio

import protocol
import seqclient
from seqclient import access
from seqclient.errors import leaves
from seqlocation import InvalidName, LocationError, add_registry_argument, parse_name
from seqserver import runlog
from seqserver.replay import ReplayServer

DEFAULT_PORT = 8000
PORT_ATTEMPTS = 11  # the port asked for, then up to 10 following ones
CONNECT_TIMEOUT = 5  # seconds for a server to answer hello
START_TIMEOUT = 30  # seconds for a spawned server to listen


class GuiError(Exception):
    """Why the GUI could not be brought up, for the operator."""


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Client application for the Sequencer that allows to load OBs and execute "
        "scripts and monitor their progress, in a web browser."
    )
    parser.add_argument("--address", metavar="[HOST:]PORT|NAME",
                        help="Sequencer server address [HOST:]PORT, or the name of a sequence component or sequencer "
                        "(IRIS@IRIS_ifsonly) in the location service [default: 8000]")
    add_registry_argument(parser)
    parser.add_argument("--run", action="store_true", help="Run the script passed as parameter")
    parser.add_argument("--config", help="sequencer configuration file (manual 4.3)")
    parser.add_argument("--no-browser", action="store_true", help="print the page's URL without opening a browser")
    parser.add_argument("--token", help="the server's access token (default: from --token-file, $SEQ_TOKEN, "
                        "or the token file a server of this user generated)")
    parser.add_argument("--token-file", metavar="PATH", help="read the server's access token from this file")
    parser.add_argument("--replay", metavar="FILE", help="show a finished run from its seqrun_<pid>.log (written by "
                        "seqtool run): its tree, timeline and logs; nothing runs (--address: where to serve it, "
                        "default a free port of 127.0.0.1)")
    parser.add_argument(
        "scripts", nargs="*", metavar="SCRIPT", help="modules (dotted names or .py files) or OB files (.json) to "
        "load; a first one that is a sequencer's or component's name (IRIS@IRIS_ifsonly) is the server to use"
    )


def main(args: argparse.Namespace) -> int:
    problems = []
    try:
        return trio.run(functools.partial(serve_replay if args.replay else serve_gui, args))
    except* (GuiError, seqclient.ConnectionClosed, LocationError) as group:
        problems = list(leaves(group))
    except* KeyboardInterrupt:
        pass
    for problem in problems:
        print(f"seqtool gui: {problem}", file=sys.stderr)
    return 1 if problems else 0


def parse_address(address: str | None, config_path: str | None) -> tuple[str, int]:
    """(host, port) from ``--address``, else the config's ``seq_server.url``, else 8000 on this host."""
    if address is None and config_path is not None:
        from seqclient.config import ConfigError, load_config

        try:
            address = load_config(config_path).server_url
        except ConfigError as exc:
            raise GuiError(str(exc)) from None
    try:
        return seqclient.parse_address(address or str(DEFAULT_PORT))
    except ValueError as exc:
        raise GuiError(f"--address: {exc}") from None


def load_commands(scripts: list[str], run: bool) -> list[str]:
    """The command lines loading each script (``ob`` for an OB file) and starting them."""
    lines = [f"ob {script}" if script.endswith(".json") else f"load {script}" for script in scripts]
    return lines + ["run"] if run else lines


def named_server(args: argparse.Namespace) -> str | None:
    """The sequence component or sequencer the GUI is for, when it is given by name (``--address NAME``,
    or a first SCRIPT that is a name rather than a module)."""
    for candidate in [args.address] if args.address else args.scripts[:1]:
        try:
            seqclient.parse_address(candidate)
        except ValueError:
            pass
        else:
            return None
        try:
            parse_name(candidate)
        except InvalidName:
            return None
        if candidate in args.scripts:
            args.scripts.remove(candidate)
        return candidate
    return None


async def serve_gui(args: argparse.Namespace) -> int:
    try:
        token = access.explicit_token(args.token, args.token_file)
    except (OSError, ValueError) as exc:
        raise GuiError(f"cannot read the token: {exc}") from None
    if (name := named_server(args)) is not None:
        target = await seqclient.resolve(name, args.redis)  # a server found by name is never started here
        host, port, server = target.host, target.port, None
    else:
        host, port = parse_address(args.address, args.config)
    async with trio.open_nursery() as nursery:
        if name is None:
            port, server = await find_or_start_server(nursery, host, port, args.log_level, args.config, token)
        await prepare(host, port, load_commands(args.scripts, args.run), token)
        show_page(f"http://{host}:{port}/?log-level={args.log_level}", access.client_token(token, host), port,
                  args.no_browser)
        if server is None:
            return 0
        print("Press Ctrl-C to stop the sequencer server.", flush=True)
        await run_until_signalled(server.wait)
        nursery.cancel_scope.cancel()
    return 0


async def serve_replay(args: argparse.Namespace) -> int:
    """Serve the page showing the run recorded in ``args.replay`` until interrupted."""
    if args.scripts or args.run:
        raise GuiError("--replay shows a recorded run and runs nothing: leave out the scripts and --run")
    path = pathlib.Path(args.replay)
    try:
        run = runlog.read_run_log(path.read_text(encoding="utf-8", errors="backslashreplace"))
    except OSError as exc:
        raise GuiError(f"cannot read {args.replay}: {exc.strerror}") from None
    except runlog.RunLogError as exc:
        raise GuiError(f"{args.replay} cannot be shown: {exc}") from None
    print(f"{path.name}: {run.nodes} nodes, {len(run.events)} events", flush=True)
    if run.not_understood:
        print(f"seqtool gui: {len(run.not_understood)} line(s) of {path.name} not understood, left out; "
              f"the first: {run.not_understood[0]!r}", file=sys.stderr, flush=True)
    host, port = parse_address(args.address, None) if args.address else ("127.0.0.1", 0)
    token = access.user_token()
    server = ReplayServer(path.name, run, token)
    async with trio.open_nursery() as nursery:
        port = await nursery.start(server.serve, host, port)
        show_page(f"http://{host}:{port}/?log-level={args.log_level}&replay={urllib.parse.quote(path.name)}",
                  token, port, args.no_browser)
        print("Press Ctrl-C to stop showing it.", flush=True)
        await run_until_signalled(trio.sleep_forever)
        nursery.cancel_scope.cancel()
    return 0


def show_page(url: str, token: str | None, port: int, no_browser: bool) -> None:
    """Print the page's address, and open it in a browser signed in (unless ``no_browser``)."""
    print(f"Sequencer GUI: {url}", flush=True)
    launcher = write_launcher(url, token, port) if token is not None else None
    if launcher is not None:
        print(f"To open it signed in from this machine: {launcher.as_uri()} (readable by you only)", flush=True)
    if not no_browser:
        open_browser(launcher.as_uri() if launcher is not None else url)


async def run_until_signalled(wait) -> None:
    """Await ``wait()``; SIGTERM or SIGHUP ends the wait (Ctrl-C raises KeyboardInterrupt, as usual)."""
    async with trio.open_nursery() as nursery:
        with trio.open_signal_receiver(signal.SIGTERM, signal.SIGHUP) as signals:
            nursery.start_soon(_cancel_on_signal, signals, nursery.cancel_scope)
            await wait()
            nursery.cancel_scope.cancel()


async def _cancel_on_signal(signals, cancel_scope: trio.CancelScope) -> None:
    async for _ in signals:
        cancel_scope.cancel()
        return


async def find_or_start_server(nursery, host: str, port: int, log_level: str, config: str | None = None,
                               token: str | None = None):
    """(port, process) of the server the GUI will use; process is None when it was running already.
    A server started here gets the configuration file (its shell reaches OTTO with it)."""
    for candidate in range(port, port + PORT_ATTEMPTS):
        answer = await probe(host, candidate, token)
        if answer == "seqserver":
            return candidate, None
        if answer == "free":
            return candidate, await start_server(nursery, host, candidate, log_level, config)
    raise GuiError(f"ports {port} to {port + PORT_ATTEMPTS - 1} on {host} are all taken by other programs")


REFUSED = "refused by the server: "  # how seqclient reports a server's refusal
NOT_A_SEQSERVER = (seqclient.ConnectionClosed, trio.TooSlowError, trio.BrokenResourceError,
                   protocol.ProtocolError, OSError)


async def probe(host: str, port: int, token: str | None = None) -> str:
    """``seqserver`` when a sequencer server answers there, ``free`` when the port can be had, else ``taken``.

    A sequencer server that refuses this client (protected mode, a token) is
    not a busy port: GuiError, with the server's reason.
    """
    try:
        with trio.fail_after(CONNECT_TIMEOUT):
            async with seqclient.connect(host, port, client="seqtool gui", token=token):
                return "seqserver"
    except Exception as error:
        problems = list(leaves(error))
        refusals = [str(p).removeprefix(REFUSED) for p in problems
                    if isinstance(p, seqclient.ConnectionClosed) and str(p).startswith(REFUSED)]
        if refusals:
            raise GuiError(f"the sequencer server at {host}:{port} refused this client: {refusals[0]} "
                           "(give its token with --token, --token-file or SEQ_TOKEN)") from None
        if all(isinstance(problem, OSError) for problem in problems):  # nothing listening
            return "free" if _can_bind(host, port) else "taken"
        if all(isinstance(problem, NOT_A_SEQSERVER) for problem in problems):
            return "taken"  # something listens there, but it is not a sequencer server
        raise


def _can_bind(host: str, port: int) -> bool:
    with socket.socket() as probe_socket:
        probe_socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe_socket.bind((host, port))
        except OSError:
            return False
    return True


async def start_server(nursery, host: str, port: int, log_level: str, config: str | None = None) -> trio.Process:
    """Start ``seqserver`` on host:port (with configuration file ``config``); return once it listens."""
    command = [sys.executable, "-m", "seqserver", "--address", f"{host}:{port}", "--log-level", log_level]
    if config is not None:
        command += ["--config", config]
    process = await nursery.start(
        functools.partial(trio.run_process, command, stdout=subprocess.PIPE, check=False)
    )
    lines = _lines(process.stdout)
    with trio.move_on_after(START_TIMEOUT):
        async for line in lines:
            print(line, flush=True)
            if line.startswith("seqserver listening on"):
                nursery.start_soon(_echo, lines)
                return process
    process.terminate()
    raise GuiError(f"the sequencer server did not start on {host}:{port} (exit status {await process.wait()})")


async def _lines(stream: trio.abc.ReceiveStream):
    buffer = b""
    async for chunk in stream:
        buffer += chunk
        *complete, buffer = buffer.split(b"\n")
        for line in complete:
            yield line.decode(errors="backslashreplace")


async def _echo(lines) -> None:
    async for line in lines:
        print(line, flush=True)


async def prepare(host: str, port: int, lines: list[str], token: str | None = None) -> None:
    """Send the loading commands in order; the first failure stops with its message."""
    if not lines:
        return
    async with seqclient.connect(host, port, client="seqtool gui", token=token) as connection:
        for line in lines:
            reply = await connection.command(line)
            if not reply.ok:
                raise GuiError(f"{line}: {reply.error}")
            if reply.output:
                print(reply.output, flush=True)


def write_launcher(url: str, token: str, port: int) -> pathlib.Path:
    """A page, readable by this user only, that takes the browser to ``url`` with the token
    in the fragment (which browsers never send over the network)."""
    target = html.escape(f"{url}#token={urllib.parse.quote(token, safe='')}")
    path = access.default_token_path().parent / f"gui-{port}.html"
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as page:
        os.fchmod(page.fileno(), 0o600)
        page.write(f'<!doctype html><meta charset="utf-8"><title>Sequencer</title>'
                   f'<meta http-equiv="refresh" content="0; url={target}">'
                   f'<p><a href="{target}">Open the Sequencer GUI</a></p>\n')
    return path


def open_browser(url: str) -> None:
    """Open the page in the operator's browser, when this machine has a graphical one.

    Without a display (an instrument host reached over ssh) a console browser
    would take over the terminal, so the address is only printed.
    """
    has_display = not sys.platform.startswith("linux") or bool(
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    )
    try:
        opened = has_display and webbrowser.get().open(url)
    except webbrowser.Error:
        opened = False
    if not opened:
        print("No browser to open here: open the address above in one.", flush=True)
