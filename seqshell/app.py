"""The seq shell: the manual's ``seqtool shell`` commands (chapter 7.1) on cmd2.

Every command's words come from the protocol's table (``protocol.COMMANDS``):
its parser is built from there, with the shell's completers added, so the
shell accepts exactly what the kernel does. A kernel command the shell has
nothing to add to is forwarded as typed (after its parser has checked it); the
methods below are the commands the shell carries out itself or adds to: the
shell-level ones (``fetch``, ``otto``, ``bp``, ``init``, ``quit``...), ``ob``
(through a server the file is read here), ``save`` and ``session`` (paths made
absolute), ``break`` (lists breakpoints). Commands that start execution wait
for it to stop in a command file (``follows_run`` in the table).
"""
from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import pathlib
import shlex
from collections.abc import Iterator
from functools import partial
from types import FrameType

import cmd2
from cmd2 import with_argparser

import protocol
from seqclient import config
from seqshell import bypass, otto
from seqshell.base import ShellArgumentParser, ShellBase
from protocol import Outcome

COMPLETIONS = {
    "serial_numbers": {"choices_provider": ShellBase.serial_numbers},
    "node_names": {"choices_provider": ShellBase.node_names},
    "node_references": {"choices_provider": ShellBase.node_references},
    "dialogs": {"choices_provider": ShellBase.waiting_dialogs},
    "modules": {"completer": ShellBase.complete_module},
    "paths": {"completer": cmd2.Cmd.path_complete},
}


def parser_for(name: str) -> ShellArgumentParser:
    """The shell's parser of a command of the protocol's table, with completion."""
    return protocol.COMMANDS[name].build_parser(
        ShellArgumentParser, lambda argument: COMPLETIONS.get(argument.completion, {}))


def table_command(name: str):
    """A ``do_<name>`` method's decorators: the table's parser and help topic."""
    command = protocol.COMMANDS[name]

    def decorate(method):
        method.__doc__ = method.__doc__ or command.summary
        return with_argparser(parser_for(name))(cmd2.with_category(command.topic)(method))

    return decorate


class SeqShell(ShellBase):
    """The shell with the commands of the manual's 7.1 and the additions the GUI and command files need."""

    _awaiting: str | None = None  # the kernel command line whose reply the prompt waits for
    _abort_asked = False

    # ---------------------------------------------------------------- Ctrl-C

    def send(self, line: str) -> None:
        with self._interruptible(line):
            super().send(line)

    def send_and_follow(self, line: str) -> None:
        with self._interruptible(line):
            super().send_and_follow(line)

    @contextlib.contextmanager
    def _interruptible(self, line: str) -> Iterator[None]:
        """While the prompt waits for the kernel's reply to ``line``, Ctrl-C asks the kernel to abort
        (see :meth:`sigint_handler`); a second Ctrl-C stops waiting."""
        self._awaiting, self._abort_asked = line, False
        try:
            yield
        except KeyboardInterrupt:
            self.perror(f"stopped waiting for the reply to {line!r}: the kernel may still be busy with it")
            self._command_failed = True
        finally:
            self._awaiting = None

    def sigint_handler(self, signum: int, frame: FrameType | None) -> None:
        """Ctrl-C while a command waits for the kernel (a load hanging in a module's import, a wait):
        send ``abort`` and go on waiting for the command's reply, which the abort brings.
        Anywhere else, or pressed again, Ctrl-C interrupts as cmd2 does."""
        if self._awaiting is None or self._abort_asked or self.portal is None:
            super().sigint_handler(signum, frame)
            return
        self._abort_asked = True
        self.perror(f"^C: asking the kernel to abort (press Ctrl-C again to stop waiting for {self._awaiting!r})")
        self.portal.run_sync(self.portal.nursery.start_soon, self._abort_on_interrupt)

    def termination_signal_handler(self, signum: int, frame: FrameType | None) -> None:
        """The terminal hung up (SIGHUP) or the shell is told to stop (SIGTERM): end now.

        cmd2 raises SystemExit wherever the main thread happens to be, which may be deep
        in prompt_toolkit's event loop, where it can be lost: the shell would then live on
        without a terminal, and its kernel with it. The logs are flushed and the process
        ends; the kernel stops by itself once its connection to the shell closes.
        """
        logging.shutdown()
        os._exit(128 + signum)

    async def _abort_on_interrupt(self) -> None:
        """Sent beside the command being waited for (a server relays an abort at once, too)."""
        outcome = await self.target.command("abort")
        self._show_event(outcome.output if outcome.ok else f"abort: {outcome.error}")

    # ------------------------------------------------------ kernel commands

    def forward(self, args: argparse.Namespace) -> None:
        """A command the shell adds nothing to: the line as typed, once its parser has checked it.
        A command of the server itself (a sequence component's, locate) goes to the server (a shell of its
        own has none)."""
        statement = args.cmd2_statement
        line = f"{statement.command} {statement.args}".strip()
        command = protocol.COMMANDS[statement.command]
        if command.runs_in == protocol.SEQSERVER and not self.remote:
            server = "a server (seqtool locate shows the directory here)" if command.name == "locate" else \
                "a sequence component (seqserver --component SUBSYSTEM.NAME)"
            self.perror(f"{command.name}: a command of {server}: connect to one with seqshell --connect")
            self._command_failed = True
        elif command.follows_run:
            self.send_and_follow(line)
        else:
            self.send(line)

    @table_command("break")
    def do_break(self, args: argparse.Namespace) -> None:
        """Set a breakpoint on a node (its PAUSE flag: the kernel's pause), or list breakpoints."""
        if args.sn is not None or args.find_name is not None:
            self.send(f"pause {args.cmd2_statement.args}")
            return
        paused = self.tree.paused_nodes()
        lines = [f"({node['sn']}) {node['name']}" for node in paused] or ["no breakpoints"]
        self.poutput("\n".join(lines))

    @table_command("ob")
    def do_ob(self, args: argparse.Namespace) -> None:
        """Load an OB file (through a server, the file is read here and sent along)."""
        target = self._ob_target(args.path)
        if target is not None:
            self.send(shlex.join([target[0], target[1], *_place_words(args)]))

    @table_command("replace")
    def do_replace(self, args: argparse.Namespace) -> None:
        """Replace a script or OB of the queue by another (an OB file is read here through a server)."""
        target = args.target
        if target.endswith(".json"):
            found = self._ob_target(target)
            if found is None:
                return
            target = found[1]
        elif target.endswith(".py") and not self.remote:
            target = str(pathlib.Path(target).expanduser().resolve())
        self.send(shlex.join(["replace", str(args.sn), target]))

    def _ob_target(self, path_text: str) -> tuple[str, str] | None:
        """How the kernel gets an OB file: ``("ob", absolute path)``, or through a server, which cannot
        read this machine's files, ``("obdata", the OB's JSON)``; None (said) when the file cannot be read."""
        path = pathlib.Path(path_text).expanduser().resolve()
        if not self.remote:
            return "ob", str(path)
        try:
            return "obdata", json.dumps(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError) as exc:
            self.perror(f"cannot read the OB file {path}: {exc}")
            self._command_failed = True
            return None

    @table_command("history")
    def do_history(self, args: argparse.Namespace) -> None:
        """Show what the queue ran (the kernel's history: cmd2's own history of typed commands is not offered)."""
        self.forward(args)

    @cmd2.with_category(protocol.COMMANDS["obdata"].topic)
    def do_obdata(self, statement: cmd2.Statement) -> None:
        """Load an OB given inline, as one quoted JSON word (what ob sends through a server)."""
        self.send(statement.raw.strip())  # as typed: the kernel unquotes the JSON itself

    @table_command("instrument")
    def do_instrument(self, args: argparse.Namespace) -> None:
        """Show or change the instrument OBs are checked against (a change also holds for kernels started later)."""
        if args.insid is None:
            self.send("instrument")
        else:
            insid = None if args.insid == "-" else args.insid
            self.shell_level(shlex.join(["instrument", args.insid]), partial(self.target.use_instrument, insid))

    @table_command("save")
    def do_save(self, args: argparse.Namespace) -> None:
        """Save the current session."""
        self._send_session_command("save", args.path)

    @table_command("session")
    def do_session(self, args: argparse.Namespace) -> None:
        """Restore a saved session."""
        self._send_session_command("session", args.path)

    def _send_session_command(self, command: str, path: str) -> None:
        """The kernel reads and writes the file: a path relative to the shell's directory is made absolute
        (through a server, the path is the server's)."""
        if not self.remote:
            path = str(pathlib.Path(path).expanduser().resolve())
        self.send(shlex.join([command, path]))

    @table_command("clear")
    def do_clear(self, _: argparse.Namespace) -> None:
        """Kill the kernel process; under a server (shared by every client), start a fresh one with nothing loaded."""
        self.shell_level("clear", lambda: self.target.stop() if self.portal is not None else self.target.restart())

    # ------------------------------------------------------ OTTO

    @table_command("fetch")
    def do_fetch(self, _: argparse.Namespace) -> None:
        """Fetch an OB from OTTO."""
        self.shell_level("fetch", partial(self._with_otto, self._fetch))

    @table_command("otto")
    def do_otto(self, args: argparse.Namespace) -> None:
        """Show OTTO's settings or queue, or change the settings."""
        if args.subcommand == "set":
            settings = dict(setting.partition("=")[::2] for setting in args.settings)
            self.shell_level(shlex.join(["otto", "set", *args.settings]), partial(self._set_otto, settings))
        elif args.subcommand == "list":
            self.shell_level("otto list", partial(self._with_otto, self._list_queue))
        else:
            self.shell_level("otto", partial(self._with_otto, self._otto_settings))

    async def _with_otto(self, action) -> Outcome:
        if self.otto_session is None:
            return Outcome.failure("OTTO is not configured: start the shell with --config FILE (a configuration "
                                   "file with an otto section) or use otto set url=...")
        try:
            return await action(self.otto_session)
        except otto.OttoError as exc:
            return Outcome.failure(str(exc))

    async def _fetch(self, session: otto.OttoSession) -> Outcome:
        kept, said = await session.fetch(self.target.command)
        return Outcome(ok=True, output=said, data={"ob_file": str(kept)})

    @staticmethod
    async def _list_queue(session: otto.OttoSession) -> Outcome:
        return Outcome(ok=True, output=otto.format_queue(await session.list_queue()))

    @staticmethod
    async def _otto_settings(session: otto.OttoSession) -> Outcome:
        settings = config.otto_settings(session.config)
        shown = "\n".join(f"{name}: {'' if value is None else value}" for name, value in settings.items())
        return Outcome(ok=True, output=shown, data=settings)

    async def _set_otto(self, settings: dict[str, str]) -> Outcome:
        current = self.otto_session.config if self.otto_session else None
        try:
            changed = config.change_otto(current, settings)
        except config.ConfigError as exc:
            return Outcome.failure(f"OTTO settings unchanged: {exc}")
        if self.otto_session is None:
            self.otto_session = await self.start_otto(changed)
        else:
            self.otto_session.reconfigure(changed)
        shown = await self._otto_settings(self.otto_session)
        if changed.insid != (current.insid if current else None):  # the kernel checks OBs against it
            return shown.then(await self.target.use_instrument(changed.insid))
        return shown

    # ------------------------------------------------------ the shell itself

    @with_argparser(parser_for("bp"), preserve_quotes=True)
    @cmd2.with_category(protocol.COMMANDS["bp"].topic)
    def do_bp(self, args: argparse.Namespace) -> None:
        """Run a system command."""
        if not args.command:
            self.perror("bp: give the command to run, e.g. bp ls -l")
            self._command_failed = True
            return
        command = " ".join(args.command)
        self.shell_level(f"bp {command}", partial(bypass.run, command))

    @table_command("init")
    def do_init(self, _: argparse.Namespace) -> None:
        """Start a new kernel process."""
        self.shell_level("init", lambda: self.target.restart())

    @table_command("quit")
    def do_quit(self, _: argparse.Namespace) -> bool | None:
        """Stop the shell."""
        if self.portal is None:
            self.perror("quit is not available through a server: it would stop the shell of every client")
            self._command_failed = True
            return None
        return True


def _place_words(args: argparse.Namespace) -> list[str]:
    """A command's position option (``--first``, ``--after 12``...) as typed, or nothing."""
    place = protocol.place_of(args)
    if place is None:
        return []
    where, sn = place
    return [f"--{where}"] if sn is None else [f"--{where}", str(sn)]


def _add_forwarded_commands() -> None:
    """A ``do_`` method for every command (and alias) of the table the shell adds nothing to: the
    kernel's and a sequence component's."""
    for name, command in protocol.COMMANDS.items():
        if command.runs_in == protocol.SHELL or " " in name or hasattr(SeqShell, f"do_{name}"):
            continue

        def forward(self: SeqShell, args: argparse.Namespace) -> None:
            self.forward(args)

        forward.__name__ = f"do_{name}"
        forward.__qualname__ = f"SeqShell.do_{name}"  # cmd2 keeps each command's parser by qualified name
        forward.__doc__ = command.summary
        setattr(SeqShell, f"do_{name}", with_argparser(parser_for(command.name))(
            cmd2.with_category(command.topic)(forward)))


_add_forwarded_commands()
