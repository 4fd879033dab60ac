"""The seq shell: the manual's ``seqtool shell`` commands (chapter 7.1) on cmd2.

Commands are thin: each ``do_<command>`` parses its arguments with the parser
defined next to it and hands the kernel's command line (or a shell-level action)
to :meth:`ShellBase.perform <seqshell.base.ShellBase.perform>`. The meaning of a
command lives in the kernel, so the shell, the server and the GUI agree on it.
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
from cmd2 import Cmd2ArgumentParser, with_argparser

from seqshell import bypass, config, otto
from seqshell.base import ShellBase
from seqshell.outcome import Outcome

CONTROL = "Execution"
TREE = "Scripts and nodes"
OBS = "Observation blocks"
SHELL = "Shell and kernel"

serial_numbers = ShellBase.serial_numbers
node_names = ShellBase.node_names
waiting_dialogs = ShellBase.waiting_dialogs
node_references = ShellBase.node_references
complete_module = ShellBase.complete_module


def node_parser(description: str, *, required: bool, flag: str) -> Cmd2ArgumentParser:
    """A parser for ``COMMAND SN | COMMAND -find_name NAME [-no-flag]`` (manual 7.1)."""
    parser = Cmd2ArgumentParser(description=description)
    which = parser.add_mutually_exclusive_group(required=required)
    which.add_argument("sn", type=int, nargs="?", metavar="SN", choices_provider=serial_numbers,
                       help="serial number of the node (see nodes)")
    which.add_argument("-find_name", metavar="NAME", choices_provider=node_names,
                       help="the node with this name instead")
    parser.add_argument("-no-flag", dest="no_flag", action="store_true",
                        help=f"clear the {flag} flag instead of setting it")
    return parser


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

    # ------------------------------------------------------ scripts and nodes

    load_parser = Cmd2ArgumentParser(
        description="Load sequencer scripts into the kernel. A module is named as Python would import it "
        "(e.g. seq.samples.a); a path to a .py file works too. A module already loaded is reloaded, "
        "so edits are picked up."
    )
    load_parser.add_argument("targets", nargs="+", metavar="MODULE", completer=complete_module)

    @with_argparser(load_parser)
    @cmd2.with_category(TREE)
    def do_load(self, args: argparse.Namespace) -> None:
        """Load sequencer scripts."""
        self.send(shlex.join(["load", *args.targets]))

    modules_parser = Cmd2ArgumentParser(description="List the modules loaded in the kernel.")

    @with_argparser(modules_parser)
    @cmd2.with_category(TREE)
    def do_modules(self, _: argparse.Namespace) -> None:
        """List the loaded modules."""
        self.send("modules")

    nodes_parser = Cmd2ArgumentParser(
        description="Show every loaded script's nodes, one per line: <type>-- (<serial number>) <name> "
        "<STATE|FLAGS>, indented by depth. Types: A action, S sequence, P parallel, L loop, T template, "
        "D dialog, O observation block. The serial numbers are what pause, skip, resume... take."
    )

    @with_argparser(nodes_parser)
    @cmd2.with_category(TREE)
    def do_nodes(self, _: argparse.Namespace) -> None:
        """Show the nodes of the loaded scripts with their serial numbers and states."""
        self.send("nodes")

    tree_parser = Cmd2ArgumentParser(
        description="Show the tree of the loaded scripts with each node's serial number (see also nodes)."
    )

    @with_argparser(tree_parser)
    @cmd2.with_category(TREE)
    def do_tree(self, _: argparse.Namespace) -> None:
        """Show the tree of the loaded scripts."""
        self.send("tree")

    # --------------------------------------------------------------- execution

    run_parser = Cmd2ArgumentParser(
        description="Execute all the loaded scripts from the start. At the prompt the command returns at once "
        "and the run is followed by its events; in a command file it returns when execution stops "
        "(finished, error, paused or aborted)."
    )

    @with_argparser(run_parser)
    @cmd2.with_category(CONTROL)
    def do_run(self, _: argparse.Namespace) -> None:
        """Execute all the loaded scripts."""
        self.send_and_follow("run")

    wait_parser = Cmd2ArgumentParser(
        description="Wait until execution stops (finished, error, paused or aborted) and say how it stopped."
    )
    wait_parser.add_argument("seconds", nargs="?", type=float, help="give up after this many seconds")

    @with_argparser(wait_parser)
    @cmd2.with_category(CONTROL)
    def do_wait(self, args: argparse.Namespace) -> None:
        """Wait until execution stops."""
        self.send("wait" if args.seconds is None else f"wait {args.seconds:g}")

    resume_parser = Cmd2ArgumentParser(description="Resume a paused script from its PAUSED node.")
    resume_parser.add_argument("sn", type=int, metavar="SN", help="serial number of the PAUSED node",
                               choices_provider=serial_numbers)

    @with_argparser(resume_parser)
    @cmd2.with_category(CONTROL)
    def do_resume(self, args: argparse.Namespace) -> None:
        """Resume a paused script."""
        self.send_and_follow(f"resume {args.sn}")

    retry_parser = Cmd2ArgumentParser(
        description="Run the failed node again and, if it succeeds, the rest of the script."
    )
    retry_parser.add_argument("sn", type=int, nargs="?", metavar="SN", choices_provider=serial_numbers,
                              help="serial number of the failed node (default: the one that failed)")

    @with_argparser(retry_parser)
    @cmd2.with_category(CONTROL)
    def do_retry(self, args: argparse.Namespace) -> None:
        """Retry the failed node."""
        self.send_and_follow("retry" if args.sn is None else f"retry {args.sn}")

    continue_parser = Cmd2ArgumentParser(
        description="After an error or an abort, go on with every node that has not finished "
        "(the failed node stays failed)."
    )

    @with_argparser(continue_parser)
    @cmd2.with_category(CONTROL)
    def do_continue(self, _: argparse.Namespace) -> None:
        """Continue from the next unfinished node."""
        self.send_and_follow("continue")

    abort_parser = Cmd2ArgumentParser(
        description="Abort the running scripts (running nodes are CANCELLED), or a load whose module hangs while "
        "it is imported (nothing of it is loaded). Ctrl-C while a command waits for the kernel sends abort.")

    @with_argparser(abort_parser)
    @cmd2.with_category(CONTROL)
    def do_abort(self, _: argparse.Namespace) -> None:
        """Abort execution."""
        self.send("abort")

    reset_parser = Cmd2ArgumentParser(description="Return every node to NOT_STARTED, ready to run again.")

    @with_argparser(reset_parser)
    @cmd2.with_category(CONTROL)
    def do_reset(self, _: argparse.Namespace) -> None:
        """Reset every node."""
        self.send("reset")

    err_parser = Cmd2ArgumentParser(description="Force an exception in the kernel (to check error reporting).")

    @with_argparser(err_parser)
    @cmd2.with_category(CONTROL)
    def do_err(self, _: argparse.Namespace) -> None:
        """Force an exception."""
        self.send("err")

    # ------------------------------------------------------------ runtime flags

    def _send_flag(self, command: str, args: argparse.Namespace) -> None:
        words = [command, str(args.sn)] if args.sn is not None else [command, "-find_name", args.find_name]
        self.send(shlex.join(words + (["-no-flag"] if args.no_flag else [])))

    pause_parser = node_parser(
        "Mark a node to pause: execution stops there (PAUSED) until resume. The flag stays for later runs "
        "until cleared.", required=True, flag="PAUSE")

    @with_argparser(pause_parser)
    @cmd2.with_category(CONTROL)
    def do_pause(self, args: argparse.Namespace) -> None:
        """Set (or with -no-flag clear) a node's PAUSE flag."""
        self._send_flag("pause", args)

    skip_parser = node_parser(
        "Mark a node to be skipped: it is not run and becomes FINISHED|SKIP. The flag stays for later runs "
        "until cleared.", required=True, flag="SKIP")

    @with_argparser(skip_parser)
    @cmd2.with_category(CONTROL)
    def do_skip(self, args: argparse.Namespace) -> None:
        """Set (or with -no-flag clear) a node's SKIP flag."""
        self._send_flag("skip", args)

    unskip_parser = Cmd2ArgumentParser(description="Clear a node's SKIP flag.")
    unskip_parser.add_argument("sn", type=int, metavar="SN", choices_provider=serial_numbers)

    @with_argparser(unskip_parser)
    @cmd2.with_category(CONTROL)
    def do_unskip(self, args: argparse.Namespace) -> None:
        """Clear a node's SKIP flag."""
        self.send(f"unskip {args.sn}")

    flip_parser = Cmd2ArgumentParser(
        description="Flip a node's pause or skip flag, e.g. flip pause 3 (a node name works too)."
    )
    flip_parser.add_argument("flag", choices=["skip", "pause"])
    flip_parser.add_argument("node", metavar="SN", choices_provider=node_references,
                             help="serial number (or name) of the node")

    @with_argparser(flip_parser)
    @cmd2.with_category(CONTROL)
    def do_flip(self, args: argparse.Namespace) -> None:
        """Flip a node's pause or skip flag."""
        self.send(shlex.join(["flip", args.flag, args.node]))

    break_parser = node_parser(
        "Breakpoints: a breakpoint on a node is its PAUSE flag, so execution stops before the node runs and "
        "waits for resume. With a node, set a breakpoint there (-no-flag removes it); without, list the nodes "
        "that have one.", required=False, flag="PAUSE (the breakpoint)")

    @with_argparser(break_parser)
    @cmd2.with_category(CONTROL)
    def do_break(self, args: argparse.Namespace) -> None:
        """Set a breakpoint on a node, or list breakpoints."""
        if args.sn is not None or args.find_name is not None:
            self._send_flag("pause", args)
            return
        paused = self.tree.paused_nodes()
        lines = [f"({node['sn']}) {node['name']}" for node in paused] or ["no breakpoints"]
        self.poutput("\n".join(lines))

    # ---------------------------------------------------- observation blocks

    ob_parser = Cmd2ArgumentParser(description="Load an observation block file (JSON).")
    ob_parser.add_argument("path", metavar="OBPATH", completer=cmd2.Cmd.path_complete)

    @with_argparser(ob_parser)
    @cmd2.with_category(OBS)
    def do_ob(self, args: argparse.Namespace) -> None:
        """Load an OB file (through a server, the file is read here and sent along)."""
        path = pathlib.Path(args.path).expanduser().resolve()
        if not self.remote:
            self.send(shlex.join(["ob", str(path)]))
            return
        try:
            content = json.dumps(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError) as exc:
            self.perror(f"cannot read the OB file {path}: {exc}")
            self._command_failed = True
            return
        self.send(shlex.join(["obdata", content]))

    @cmd2.with_category(OBS)
    def do_obdata(self, statement: cmd2.Statement) -> None:
        """Load an OB given inline, as one quoted JSON word (what ob sends through a server)."""
        self.send(statement.raw.strip())  # as typed: the kernel unquotes the JSON itself

    lsob_parser = Cmd2ArgumentParser(description="List the loaded observation blocks.")

    @with_argparser(lsob_parser)
    @cmd2.with_category(OBS)
    def do_lsob(self, _: argparse.Namespace) -> None:
        """List loaded OBs."""
        self.send("lsob")

    instrument_parser = Cmd2ArgumentParser(
        description="Show the instrument whose package OBs are checked against when they are loaded, or change "
        "it (- for none). otto set insid=INSID changes it too."
    )
    instrument_parser.add_argument("insid", nargs="?", metavar="INSID", help="e.g. FORS2, or - for none")

    @with_argparser(instrument_parser)
    @cmd2.with_category(OBS)
    def do_instrument(self, args: argparse.Namespace) -> None:
        """Show or change the instrument OBs are checked against (a change also holds for kernels started later)."""
        if args.insid is None:
            self.send("instrument")
        else:
            insid = None if args.insid == "-" else args.insid
            self.shell_level(shlex.join(["instrument", args.insid]), partial(self.target.use_instrument, insid))

    lsvar_parser = Cmd2ArgumentParser(
        description="List the template variables, by OB and template index, with their types and values."
    )

    @with_argparser(lsvar_parser)
    @cmd2.with_category(OBS)
    def do_lsvar(self, _: argparse.Namespace) -> None:
        """List template variables."""
        self.send("lsvar")

    setvar_parser = Cmd2ArgumentParser(
        description="Set a template variable (checked against its declared type; a bad value changes nothing). "
        "OB and TEMPLATE are the indexes lsvar shows."
    )
    setvar_parser.add_argument("ob", type=int, metavar="OB")
    setvar_parser.add_argument("template", type=int, metavar="TEMPLATE")
    setvar_parser.add_argument("name", metavar="NAME")
    setvar_parser.add_argument("value", metavar="VALUE")

    @with_argparser(setvar_parser)
    @cmd2.with_category(OBS)
    def do_setvar(self, args: argparse.Namespace) -> None:
        """Set a template variable."""
        self.send(shlex.join(["setvar", str(args.ob), str(args.template), args.name, args.value]))

    answer_parser = Cmd2ArgumentParser(
        description="Answer a dialog the running script asks: perform its extra step, or stop the sequence. "
        "In a command file, returns when execution stops again."
    )
    answer_parser.add_argument("sn", type=int, metavar="SN", choices_provider=waiting_dialogs,
                               help="serial number of the dialog node")
    answer_parser.add_argument("answer", choices=["perform", "stop"])

    @with_argparser(answer_parser)
    @cmd2.with_category(OBS)
    def do_answer(self, args: argparse.Namespace) -> None:
        """Answer a dialog."""
        self.send_and_follow(f"answer {args.sn} {args.answer}")

    fetch_parser = Cmd2ArgumentParser(
        description="Fetch the next OB of OTTO's queue, keep it as a file in the session directory and load it; "
        "its OB events (Initiated, Started, Executed) are reported to OTTO as it runs. OTTO is set in the "
        "configuration file (seqshell --config FILE, manual 4.3) or with otto set."
    )

    @with_argparser(fetch_parser)
    @cmd2.with_category(OBS)
    def do_fetch(self, _: argparse.Namespace) -> None:
        """Fetch an OB from OTTO."""
        self.shell_level("fetch", partial(self._with_otto, self._fetch))

    otto_parser = Cmd2ArgumentParser(
        description="OTTO, the observation handling system: without arguments, show its settings."
    )
    otto_actions = otto_parser.add_subparsers(dest="action", metavar="ACTION")
    otto_actions.add_parser("list", help="list the OBs of OTTO's queue (> marks the next one)")
    otto_set_parser = otto_actions.add_parser(
        "set", help="change settings, e.g. otto set url=http://127.0.0.1:5000/ insid=FORS2 (an empty value clears one)"
    )
    otto_set_parser.add_argument("settings", nargs="+", metavar="NAME=VALUE",
                                 help="url, insid, mode, user or password")

    @with_argparser(otto_parser)
    @cmd2.with_category(OBS)
    def do_otto(self, args: argparse.Namespace) -> None:
        """Show OTTO's settings or queue, or change the settings."""
        if args.action == "set":
            settings = dict(setting.partition("=")[::2] for setting in args.settings)
            self.shell_level(shlex.join(["otto", "set", *args.settings]), partial(self._set_otto, settings))
        elif args.action == "list":
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
        return Outcome(ok=True, output=await session.fetch(self.target.command))

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

    # ------------------------------------------------------ shell and kernel

    save_parser = Cmd2ArgumentParser(
        description="Save the session (loaded modules, OBs, runtime flags, variable values) to a file."
    )
    save_parser.add_argument("path", nargs="?", default="seq_session.json", metavar="FILE",
                             completer=cmd2.Cmd.path_complete, help="default: seq_session.json")

    @with_argparser(save_parser)
    @cmd2.with_category(SHELL)
    def do_save(self, args: argparse.Namespace) -> None:
        """Save the current session."""
        self._send_session_command("save", args.path)

    session_parser = Cmd2ArgumentParser(description="Restore a session saved with save.")
    session_parser.add_argument("path", nargs="?", default="seq_session.json", metavar="FILE",
                                completer=cmd2.Cmd.path_complete, help="default: seq_session.json")

    @with_argparser(session_parser)
    @cmd2.with_category(SHELL)
    def do_session(self, args: argparse.Namespace) -> None:
        """Restore a saved session."""
        self._send_session_command("session", args.path)

    def _send_session_command(self, command: str, path: str) -> None:
        """The kernel reads and writes the file: a path relative to the shell's directory is made absolute
        (through a server, the path is the server's)."""
        if not self.remote:
            path = str(pathlib.Path(path).expanduser().resolve())
        self.send(shlex.join([command, path]))

    bp_parser = Cmd2ArgumentParser(
        description="Bypass to a subprocess: run a system command (e.g. bp ls -l) and show its output. "
        "!COMMAND is the same."
    )
    bp_parser.add_argument("command", nargs=argparse.REMAINDER, metavar="COMMAND",
                           completer=cmd2.Cmd.path_complete)

    @with_argparser(bp_parser, preserve_quotes=True)
    @cmd2.with_category(SHELL)
    def do_bp(self, args: argparse.Namespace) -> None:
        """Run a system command."""
        if not args.command:
            self.perror("bp: give the command to run, e.g. bp ls -l")
            self._command_failed = True
            return
        command = " ".join(args.command)
        self.shell_level(f"bp {command}", partial(bypass.run, command))

    clear_parser = Cmd2ArgumentParser(
        description="Stop the kernel process (everything loaded is dropped). init starts a new one; "
        "through a server a fresh kernel with nothing loaded starts at once."
    )

    @with_argparser(clear_parser)
    @cmd2.with_category(SHELL)
    def do_clear(self, _: argparse.Namespace) -> None:
        """Kill the kernel process; under a server (shared by every client), start a fresh one with nothing loaded."""
        self.shell_level("clear", lambda: self.target.stop() if self.portal is not None else self.target.restart())

    init_parser = Cmd2ArgumentParser(
        description="Start a new kernel process (the running one, if any, is stopped first)."
    )

    @with_argparser(init_parser)
    @cmd2.with_category(SHELL)
    def do_init(self, _: argparse.Namespace) -> None:
        """Start a new kernel process."""
        self.shell_level("init", lambda: self.target.restart())

    quit_parser = Cmd2ArgumentParser(description="Stop the shell; its kernel stops with it.")

    @with_argparser(quit_parser)
    @cmd2.with_category(SHELL)
    def do_quit(self, _: argparse.Namespace) -> bool | None:
        """Stop the shell."""
        if self.portal is None:
            self.perror("quit is not available through a server: it would stop the shell of every client")
            self._command_failed = True
            return None
        return True

