"""How the shell runs a command, whatever the mode, and what it does with events.

:class:`ShellBase` is the cmd2 application without its commands: a command hands
an action (a kernel command line, or something the shell itself does) to
:meth:`ShellBase.perform`, and :meth:`ShellBase.show` prints what came back.

- local and remote (``--connect``): cmd2 owns the main thread; an action runs in
  the trio thread and the command waits for it.
- pipe (``--pipe``, under a server): commands arrive concurrently; the pipe
  server runs cmd2 on each line at once, in the trio thread (one line at a
  time, so their output never mixes), collects the actions with
  :meth:`ShellBase.deferring` and awaits each in a task of its own, so one
  client's ``wait`` never blocks another's ``abort``.

It also keeps the count of failed commands and runs (the exit status of a
command file), shows events (above the prompt at a terminal), and offers the
loaded nodes to completion.
"""
from __future__ import annotations

import contextlib
import contextvars
import pathlib
import pkgutil
import sys
import threading
from collections.abc import Awaitable, Callable, Iterator
from functools import partial

import cmd2
import structlog
from cmd2 import Choices, CompletionItem, plugin

from protocol import Outcome
from seqshell.display import PROMPT, OutputLines, TreeView, dialog_prompt, format_dialog, format_event
from seqshell.portal import TrioPortal

log = structlog.get_logger("seqshell")

Action = Callable[[], Awaitable[Outcome]]

_help_shown: contextvars.ContextVar[bool] = contextvars.ContextVar("help_shown", default=False)


class ShellArgumentParser(cmd2.Cmd2ArgumentParser):
    """cmd2's parser, for which asking a command for its help (``CMD -h``) is a command that succeeded,
    as it is for the kernel (cmd2 counts the parser's exit after the help as a failure)."""

    def print_help(self, file=None) -> None:
        super().print_help(file)
        _help_shown.set(True)


cmd2.argparse_utils.set_default_argument_parser(ShellArgumentParser)  # cmd2's own commands (help) too


class ShellBase(cmd2.Cmd):
    """The sequencer's command interpreter, in front of a kernel (local or through a server), without its commands."""

    def __init__(
        self,
        target,
        *,
        portal: TrioPortal | None,
        otto_session=None,
        start_otto=None,
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
        self.prompt = self._prompt_offered = PROMPT
        self.target = target
        self.portal = portal
        self.otto_session = otto_session  # a seqshell.otto.OttoSession when the configuration names OTTO
        self.start_otto = start_otto  # async (OttoConfig) -> OttoSession reporting OB events as they come
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
        _help_shown.set(False)
        stop = super().onecmd_plus_hooks(line, **kwargs)
        self._command_completed = self._command_completed or _help_shown.get()
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
        self.tree.apply(event)
        if event.get("kind") == "run" and event.get("status") == "error":
            self.failed_runs += 1

    def on_event(self, event: dict) -> None:
        """Show an event: above the prompt at a terminal, as a plain line otherwise."""
        try:
            previous_state = self.tree.state_of(event.get("sn")) if event.get("kind") == "state" else None
            asked = {d.get("sn") for d in self.tree.open_dialogs()}
            self.observe(event)
            if event.get("kind") == "dialog" and event.get("action") == "request" and event.get("sn") in asked:
                return  # already asked (a server repeats open dialogs to a client that joins)
            for shown in self._output_lines.feed(event):
                self._show_event(format_event(shown, previous_state))
            if event.get("kind") == "tree":  # joining while a dialog waits: it is asked here too
                for dialog in self.tree.open_dialogs():
                    if dialog.get("sn") not in asked:
                        self._show_event(format_dialog(dialog))
            self._offer_answers()
        except (KeyError, TypeError, ValueError):  # an event of a shape this shell does not know
            log.exception("event not understood", event=event)
            self._show_event(str(event))

    def _offer_answers(self) -> None:
        """At a terminal, the prompt says when dialogs wait for an answer (set back when answered):
        the prompt being shown is redrawn through an alert, the next one is set by ``pre_prompt``."""
        prompt = dialog_prompt(self.tree.open_dialogs())
        if self.interactive and prompt != self._prompt_offered:
            self._prompt_offered = prompt
            self.add_alert(prompt=prompt)

    def pre_prompt(self) -> None:
        self.prompt = self._prompt_offered = dialog_prompt(self.tree.open_dialogs())

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

    def waiting_dialogs(self) -> Choices:
        """The dialogs waiting for an answer (``answer`` completes to them)."""
        return Choices([CompletionItem(int(d["sn"]), display_meta=str(d.get("name", "")))
                        for d in self.tree.open_dialogs()])

    def node_names(self) -> Choices:
        return Choices.from_values(self.tree.name_choices())

    def node_references(self) -> Choices:
        return Choices([*self.serial_numbers(), *self.node_names()])

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
