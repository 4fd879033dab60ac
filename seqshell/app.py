"""The seq shell: the manual's ``seqtool shell`` commands (chapter 7.1) on cmd2.

Commands are thin: each ``do_<command>`` parses its arguments with the parser
defined next to it, hands the kernel's command line (or a shell-level action) to
:meth:`SeqShell.perform`, and :meth:`SeqShell.show` prints what came back. The
meaning of a command lives in the kernel, so the shell, the server and the GUI
agree on it.

Where an action runs depends on the mode:

- local and remote (``--connect``): cmd2 owns the main thread; an action runs in
  the trio thread and the command waits for it.
- pipe (``--pipe``, under a server): commands arrive concurrently; the pipe
  server runs cmd2 on each line at once, in the trio thread (one line at a
  time, so their output never mixes), collects the actions with
  :meth:`SeqShell.deferring` and awaits each in a task of its own, so one
  client's ``wait`` never blocks another's ``abort``.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import pathlib
import pkgutil
import shlex
import sys
import threading
from collections.abc import Awaitable, Callable, Iterator
from functools import partial

import cmd2
import structlog
from cmd2 import Choices, Cmd2ArgumentParser, CompletionItem, plugin, with_argparser

from seqshell import bypass, otto
from seqshell.display import OutputLines, TreeView, format_event
from seqshell.outcome import Outcome
from seqshell.portal import TrioPortal

log = structlog.get_logger("seqshell")

Action = Callable[[], Awaitable[Outcome]]

CONTROL = "Execution"
TREE = "Scripts and nodes"
OBS = "Observation blocks"
SHELL = "Shell and kernel"

def node_parser(description: str, serial_numbers, node_names, *, required: bool, flag: str) -> Cmd2ArgumentParser:
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


class SeqShell(cmd2.Cmd):
    """The sequencer's command interpreter, in front of a kernel (local or through a server)."""

    def __init__(
        self,
        target,
        *,
        portal: TrioPortal | None,
        otto_session=None,
        remote: bool = False,
        interactive: bool = False,
        follow_runs: bool = False,
        exit_on_error: bool = False,
        stdin=None,
        stdout=None,
    ) -> None:
        super().__init__(
            stdin=stdin,
            stdout=stdout,
            allow_cli_args=False,
            allow_redirection=portal is not None,
            shortcuts={"?": "help", "!": "bp", "@": "run_script"},
            terminators=[],
        )
        for builtin in ("do_edit", "do_shell", "do_run_pyscript"):
            setattr(self, builtin, None)
        self.prompt = "(seq)>> "
        self.target = target
        self.portal = portal
        self.otto_session = otto_session  # a seqshell.otto.OttoSession when the configuration names OTTO
        self.remote = remote
        self.interactive = interactive
        self.follow_runs = follow_runs
        self.exit_on_error = exit_on_error
        self.tree = TreeView()
        self._output_lines = OutputLines()
        self.failed_commands = 0
        self.failed_runs = 0
        self._print_lock = threading.RLock()
        self._deferred: list[Action] | None = None
        self._command_failed = False
        self._command_completed = False
        self._in_command = False
        self.register_postparsing_hook(self._command_starts)
        self.register_postcmd_hook(self._command_completes)
        self.register_cmdfinalization_hook(self._command_ends)

    # ----------------------------------------------------------- running commands

    def perform(self, action: Action) -> None:
        """Run a command's action now (local, remote) or collect it (pipe, see ``deferring``)."""
        if self._deferred is not None:
            self._deferred.append(action)
            return
        try:
            outcome = self.portal.run(action)
        except Exception as exc:  # the link or the connection broke under the command
            log.exception("command action failed")
            outcome = Outcome.failure(f"{type(exc).__name__}: {exc}")
        self.show(outcome)

    def send(self, line: str) -> None:
        """Send one line of the kernel's command language."""
        self.perform(partial(self.target.command, line))

    def send_and_follow(self, line: str) -> None:
        """Send a command that starts execution; from a command file, wait until it stops."""
        self.perform(partial(self._start_and_follow, line))

    async def _start_and_follow(self, line: str) -> Outcome:
        outcome = await self.target.command(line)
        if not (outcome.ok and (self.follow_runs or self.in_script())):
            return outcome
        waited = await self.target.command("wait")
        if waited.ok and waited.output.strip() == "error":
            return Outcome.failure("the run stopped on an error")
        return Outcome(ok=waited.ok, error=waited.error)  # the run's events said it all

    def shell_level(self, line: str, local_action: Action) -> None:
        """A command the shell itself carries out; through a server, the server's shell does."""
        self.perform(partial(self.target.command, line) if self.remote else local_action)

    def show(self, outcome: Outcome) -> None:
        if outcome.output:
            self.poutput(outcome.output.rstrip("\n"))
        if outcome.error:
            self.perror(outcome.error.rstrip("\n"))
        if not outcome.ok:
            self._command_failed = True

    @contextlib.contextmanager
    def deferring(self) -> Iterator[list[Action]]:
        """Collect the actions of the commands run inside the block instead of running them."""
        self._deferred = []
        try:
            yield self._deferred
        finally:
            self._deferred = None

    def print_to(self, file, *objects, **kwargs) -> None:
        """Keep command output and asynchronous events from interleaving mid-line."""
        with self._print_lock:
            super().print_to(file, *objects, **kwargs)

    def default(self, statement: cmd2.Statement) -> bool | None:
        self._command_failed = True
        return super().default(statement)

    # ------------------------------------------------------- success and failure

    def onecmd_plus_hooks(self, line: str, **kwargs) -> bool:
        """Run one line and count it as failed unless it completed and reported success."""
        self._command_failed = False
        self._command_completed = not line.strip() or line.lstrip().startswith("#")
        stop = super().onecmd_plus_hooks(line, **kwargs)
        if self._command_failed or not self._command_completed:
            self.failed_commands += 1
            log.info("command failed", line=line)
            stop = stop or self.exit_on_error
        return stop

    def _command_starts(self, data: plugin.PostparsingData) -> plugin.PostparsingData:
        self._in_command = True
        return data

    def _command_completes(self, data: plugin.PostcommandData) -> plugin.PostcommandData:
        self._command_completed = True
        return data

    def _command_ends(self, data: plugin.CommandFinalizationData) -> plugin.CommandFinalizationData:
        self._in_command = False
        return data

    @property
    def last_failed(self) -> bool:
        """Whether the command just run failed (for the pipe server's reply)."""
        return self._command_failed or not self._command_completed

    def exit_status(self) -> int:
        return 1 if self.failed_commands or self.failed_runs else 0

    # -------------------------------------------------------------------- events

    def observe(self, event: dict) -> None:
        """Fold an event into the shell's picture of the kernel (every mode)."""
        self.tree.update(event)
        if event.get("kind") == "run" and event.get("status") == "error":
            self.failed_runs += 1

    def on_event(self, event: dict) -> None:
        """Show an event: above the prompt at a terminal, as a plain line otherwise."""
        try:
            previous_state = self.tree.state_of(event.get("sn")) if event.get("kind") == "state" else None
            self.observe(event)
            for shown in self._output_lines.feed(event):
                self._show_event(format_event(shown, previous_state))
        except (KeyError, TypeError, ValueError):  # an event of a shape this shell does not know
            log.exception("event not understood", event=event)
            self._show_event(str(event))

    def flush_output(self) -> None:
        """Show the last partial line of output, if any (at exit)."""
        for shown in self._output_lines.flush():
            self._show_event(format_event(shown))

    def _show_event(self, text) -> None:
        if text is None:
            return
        if self.interactive and not self._in_command:
            self.add_alert(msg=text)
        else:
            self.poutput(text)

    # ---------------------------------------------------------------- completion

    def serial_numbers(self) -> Choices:
        return Choices([CompletionItem(int(sn), display_meta=meta) for sn, meta in self.tree.serial_choices()])

    def node_names(self) -> Choices:
        return Choices.from_values(self.tree.name_choices())

    def complete_module(self, text: str, line: str, begidx: int, endidx: int) -> cmd2.Completions:
        """Module names (found on disk, never imported: only the kernel imports user code) and paths."""
        if "/" in text or text.startswith("."):
            return self.path_complete(text, line, begidx, endidx)
        package, _, _ = text.rpartition(".")
        search_path = None
        if package:
            parts = package.split(".")
            search_path = [str(pathlib.Path(p, *parts)) for p in sys.path if pathlib.Path(p, *parts).is_dir()]
        prefix = f"{package}." if package else ""
        names = sorted({prefix + info.name for info in pkgutil.iter_modules(search_path)})
        return cmd2.Completions.from_values([name for name in names if name.startswith(text)])

    # ================================================================ commands

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

    abort_parser = Cmd2ArgumentParser(description="Abort the running scripts: running nodes are CANCELLED.")

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
        "until cleared.", serial_numbers, node_names, required=True, flag="PAUSE")

    @with_argparser(pause_parser)
    @cmd2.with_category(CONTROL)
    def do_pause(self, args: argparse.Namespace) -> None:
        """Set (or with -no-flag clear) a node's PAUSE flag."""
        self._send_flag("pause", args)

    skip_parser = node_parser(
        "Mark a node to be skipped: it is not run and becomes FINISHED|SKIP. The flag stays for later runs "
        "until cleared.", serial_numbers, node_names, required=True, flag="SKIP")

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

    flip_parser = Cmd2ArgumentParser(description="Flip a node's pause or skip flag, e.g. flip pause 3.")
    flip_parser.add_argument("flag", choices=["skip", "pause"])
    flip_parser.add_argument("sn", type=int, metavar="SN", choices_provider=serial_numbers)

    @with_argparser(flip_parser)
    @cmd2.with_category(CONTROL)
    def do_flip(self, args: argparse.Namespace) -> None:
        """Flip a node's pause or skip flag."""
        self.send(f"flip {args.flag} {args.sn}")

    break_parser = node_parser(
        "Breakpoints: a breakpoint on a node is its PAUSE flag, so execution stops before the node runs and "
        "waits for resume. With a node, set a breakpoint there (-no-flag removes it); without, list the nodes "
        "that have one.", serial_numbers, node_names, required=False, flag="PAUSE (the breakpoint)")

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
        self.send(f"obdata {statement.args}")

    lsob_parser = Cmd2ArgumentParser(description="List the loaded observation blocks.")

    @with_argparser(lsob_parser)
    @cmd2.with_category(OBS)
    def do_lsob(self, _: argparse.Namespace) -> None:
        """List loaded OBs."""
        self.send("lsob")

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
    answer_parser.add_argument("sn", type=int, metavar="SN", choices_provider=serial_numbers,
                               help="serial number of the dialog node")
    answer_parser.add_argument("answer", choices=["perform", "stop"])

    @with_argparser(answer_parser)
    @cmd2.with_category(OBS)
    def do_answer(self, args: argparse.Namespace) -> None:
        """Answer a dialog."""
        self.send_and_follow(f"answer {args.sn} {args.answer}")

    fetch_parser = Cmd2ArgumentParser(
        description="Fetch the next OB of the queue from OTTO, keep it as a file in the session directory and "
        "load it; its OB events (Initiated, Started, Executed) are reported to OTTO as it runs. OTTO is set in "
        "the configuration file (seqshell --config FILE, manual 4.3)."
    )
    fetch_parser.add_argument("--list", action="store_true", help="only list OTTO's queue, fetch nothing")

    @with_argparser(fetch_parser)
    @cmd2.with_category(OBS)
    def do_fetch(self, args: argparse.Namespace) -> None:
        """Fetch an OB from OTTO."""
        self.shell_level("fetch --list" if args.list else "fetch", partial(self._otto, args.list))

    async def _otto(self, list_only: bool) -> Outcome:
        if self.otto_session is None:
            return Outcome.failure("OTTO is not configured: start the shell with --config FILE, "
                                   "a configuration file with an otto section")
        try:
            if list_only:
                return Outcome(ok=True, output=otto.format_queue(await self.otto_session.list_queue()))
            return Outcome(ok=True, output=await self.otto_session.fetch(self.target.command))
        except otto.OttoError as exc:
            return Outcome.failure(str(exc))

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
        if not self.remote:
            path = str(pathlib.Path(path).expanduser().resolve())
        self.perform(partial(self._session_command, shlex.join([command, path])))

    async def _session_command(self, line: str) -> Outcome:
        outcome = await self.target.command(line)
        if not outcome.ok and "unknown command" in outcome.error.lower():
            return Outcome.failure(f"this kernel cannot save or restore sessions yet ({outcome.error})")
        return outcome

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
        description="Stop the kernel process (everything loaded is dropped). init starts a new one."
    )

    @with_argparser(clear_parser)
    @cmd2.with_category(SHELL)
    def do_clear(self, _: argparse.Namespace) -> None:
        """Kill the kernel process."""
        self.shell_level("clear", lambda: self.target.stop())

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

