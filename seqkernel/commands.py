"""The kernel's command language: one text line in, one reply out.

The shell, the server and the GUI all end up sending these lines, so the meaning
of every command lives here, once. A line is split with shlex and parsed with
argparse; a parser never exits the process: bad arguments become a failed reply
carrying the usage text, ``CMD -h`` a successful one carrying the help.
"""
from __future__ import annotations

import argparse
import json
import shlex
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import protocol
from seqkernel import ip, session
from seqkernel.engine import EngineError, LoadError
from seqkernel.ob import parse_ob


class CommandError(Exception):
    """A command that cannot be carried out; the text is the reply's error."""


class _HelpShown(Exception):
    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


class _Parser(argparse.ArgumentParser):
    """argparse that reports instead of printing and exiting."""

    def error(self, message: str):
        raise CommandError(f"{self.format_usage().rstrip()}\n{self.prog}: error: {message}")

    def print_help(self, file=None):
        raise _HelpShown(self.format_help())

    def exit(self, status=0, message=None):
        raise CommandError(message or f"{self.prog}: exited")


@dataclass
class Outcome:
    """What a command produced: becomes the fields of its reply."""

    output: str = ""
    data: Any = None
    error: str | None = None

    def reply(self, request_id: int) -> protocol.Reply:
        fields: dict[str, Any] = {"id": request_id, "ok": self.error is None, "output": self.output}
        if self.error is not None:
            fields["error"] = self.error
        if self.data is not None:
            fields["data"] = self.data
        return protocol.Reply(**fields)


@dataclass
class Command:
    name: str
    help: str
    parser: _Parser
    run: Callable[[argparse.Namespace], Outcome | Awaitable[Outcome]]
    waits: bool = False  # one of protocol.WAITING_COMMANDS: what it awaits runs concurrently
    aliases: tuple[str, ...] = ()


class Commands:
    """Parses command lines and carries them out on an engine.

    :meth:`start` carries a line out as far as it goes without waiting: every
    command does that part in arrival order. A command that waits (``wait``; the
    loads ``load``, ``ob``, ``obdata`` and ``session``, whose modules are imported
    in a worker thread) leaves an awaitable, which the kernel finishes in a task of
    its own, so the commands after it are served meanwhile (``abort`` included).
    With an ``instrument``, every OB is checked against its instrument package
    (``CFGPATH/IP/<instrument>/ip``, read anew for each OB) before it is loaded.
    """

    def __init__(self, engine, instrument: str | None = None) -> None:
        self.engine = engine
        self.instrument = instrument
        self._commands: dict[str, Command] = {}
        self._define()

    # -- the table of commands -------------------------------------------------------------

    def _add(self, name, help_text, run, *, aliases=(), arguments=()):
        parser = _Parser(prog=name, description=help_text, add_help=True)
        for args, kw in arguments:
            parser.add_argument(*args, **kw)
        command = Command(name, help_text, parser, run, name in protocol.WAITING_COMMANDS, tuple(aliases))
        for key in (name, *aliases):
            self._commands[key] = command

    def _define(self) -> None:
        sn = (("sn",), dict(type=int, metavar="SN", help="the node's serial number"))
        ref = (("ref",), dict(metavar="SN|NAME", help="the node's serial number or name"))
        add = self._add
        add("help", "List the commands, or show one command's help.", self._help,
            arguments=[(("command",), dict(nargs="?", help="a command name"))])
        add("load", "Load sequencer scripts: dotted module names or paths to .py files.", self._load,
            arguments=[(("targets",), dict(nargs="+", metavar="TARGET"))])
        add("ob", "Load an OB file (JSON).", self._ob, arguments=[(("path",), dict(metavar="PATH"))])
        add("obdata", "Load an OB given inline as JSON text.", self._obdata,
            arguments=[(("json",), dict(metavar="JSON"))])
        add("modules", "List the loaded modules.", lambda a: Outcome("\n".join(self.engine.modules())))
        add("lsob", "List the loaded OBs.", self._lsob)
        add("instrument", "Show the instrument whose package OBs are checked against, or change it (- for none).",
            self._instrument, arguments=[(("insid",), dict(nargs="?", metavar="INSID"))])
        add("nodes", "Show every node with its serial number, state and runtime flags.",
            lambda a: Outcome(protocol.format_nodes(self.engine.snapshot())))
        add("tree", "Show the tree of loaded scripts with serial numbers and descriptions.",
            lambda a: Outcome(protocol.format_tree(self.engine.snapshot())))
        add("snapshot", "Return the loaded tree and its states as data.",
            lambda a: Outcome(data=self.engine.snapshot()))
        add("run", "Run all loaded scripts from the start; replies once started.", self._run)
        add("wait", "Reply when execution stops: finished, error, paused, aborted or idle.", self._wait,
            arguments=[(("seconds",), dict(nargs="?", type=float, metavar="SECONDS",
                                           help="give up after this long (reply: timeout)"))])
        for flag in ("pause", "skip"):
            add(flag, f"Set the {flag.upper()} runtime flag of a node (by serial number or -find_name NAME).",
                self._flag_command(flag),
                arguments=[
                    (("sn",), dict(type=int, nargs="?", metavar="SN", help="the node's serial number")),
                    (("-find_name", "--find-name"), dict(dest="name", metavar="NAME", help="find the node by name")),
                    (("-no-flag", "--no-flag"), dict(dest="clear", action="store_true", help="clear the flag instead")),
                ])
        add("unskip", "Clear the SKIP flag of a node.", lambda a: self._set_flag(a.ref, "skip", False),
            arguments=[ref])
        add("unpause", "Clear the PAUSE flag of a node.", lambda a: self._set_flag(a.ref, "pause", False),
            arguments=[ref])
        add("flip", "Flip the pause or skip flag of a node (by serial number or name).",
            lambda a: self._set_flag(a.ref, a.flag, None),
            arguments=[(("flag",), dict(choices=("skip", "pause"))), ref])
        add("resume", "Resume a paused node.", lambda a: self._control(f"resumed from node {a.sn}", self.engine.resume, a.sn),
            arguments=[sn])
        add("retry", "Run the failed node again, then the rest.", self._retry,
            arguments=[(("sn",), dict(type=int, nargs="?", metavar="SN"))])
        add("continue", "Go on with the nodes not yet finished, leaving a failed node as failed.",
            lambda a: self._control("continuing", self.engine.cont), aliases=("cont",))
        add("abort", "Cancel the running scripts, or the load in progress.", self._abort)
        add("reset", "Return every node to NOT_STARTED and restart the engine.",
            lambda a: self._control("reset", self.engine.reset))
        add("clear", "Unload every script and OB.", lambda a: self._control("cleared", self.engine.clear))
        add("lsvar", "List template variables by OB and template index.", self._lsvar)
        add("setvar", "Set a template variable (checked against its declared type).", self._setvar,
            arguments=[(("ob",), dict(type=int, metavar="OB")), (("template",), dict(type=int, metavar="TPL")),
                       (("name",), dict(metavar="NAME")), (("value",), dict(metavar="VALUE"))])
        add("save", "Save the session (loaded modules, OBs with their variable values, runtime flags) to a file.",
            lambda a: Outcome(session.save(self.engine, a.path)),
            arguments=[(("path",), dict(metavar="PATH"))])
        add("session", "Restore a session saved with save (added to what is loaded).",
            lambda a: _then(session.restore(self.engine, a.path), Outcome),
            arguments=[(("path",), dict(metavar="PATH"))])
        add("answer", "Answer a BasicDialog: perform its extra step, or stop.", self._answer,
            arguments=[sn, (("answer",), dict(choices=("perform", "stop")))])
        add("err", "Force an exception (to see how errors are reported).", self._err)

    # -- entry point -------------------------------------------------------------------------

    def lookup(self, line: str) -> tuple[Command | None, list[str]]:
        """Split a line: (its command or None, its arguments). Raises CommandError on bad quoting."""
        try:
            words = shlex.split(line, comments=True)
        except ValueError as exc:
            raise CommandError(f"cannot parse the line: {exc}") from None
        if not words:
            return None, []
        command = self._commands.get(words[0])
        if command is None:
            raise CommandError(f"unknown command {words[0]!r}; 'help' lists the commands")
        return command, words[1:]

    def is_waiting(self, line: str) -> bool:
        try:
            command, _ = self.lookup(line)
        except CommandError:
            return False
        return command is not None and command.waits

    def start(self, line: str) -> Outcome | Awaitable[Outcome]:
        """Carry out one line as far as it goes without waiting: its Outcome, or for a command
        that waits an awaitable giving the Outcome. Every failure becomes an Outcome with an
        error; nothing raises."""
        try:
            command, words = self.lookup(line)
            if command is None:
                return Outcome()
            result = command.run(command.parser.parse_args(words))
        except Exception as exc:
            return _failure(exc)
        return result if isinstance(result, Outcome) else _finish(result)

    # -- the commands ------------------------------------------------------------------------

    def _help(self, args) -> Outcome:
        if args.command:
            command = self._commands.get(args.command)
            if command is None:
                raise CommandError(f"unknown command {args.command!r}")
            return Outcome(command.parser.format_help())
        unique = {c.name: c for c in self._commands.values()}
        width = max(map(len, unique))
        return Outcome("\n".join(f"{name:<{width}}  {c.help}" for name, c in sorted(unique.items())))

    def _load(self, args) -> Awaitable[Outcome]:
        loaded = self.engine.begin_load([("module", target) for target in args.targets])
        return _then(loaded, lambda nodes: Outcome("\n".join(
            f"loaded {target}: ({node.sn}) {node.name}" for target, node in zip(args.targets, nodes))))

    def _ob(self, args) -> Awaitable[Outcome]:
        return self._load_ob(args.path, f"loaded OB {args.path}: ")

    def _obdata(self, args) -> Awaitable[Outcome]:
        try:
            ob = json.loads(args.json)
        except json.JSONDecodeError as exc:
            raise CommandError(f"obdata: not valid JSON: {exc}") from None
        if not isinstance(ob, dict):
            raise CommandError("obdata: the OB must be a JSON object")
        return self._load_ob(ob, "loaded OB ")

    def _load_ob(self, source, said: str) -> Awaitable[Outcome]:
        """Read an OB, check it against the instrument package (if any) and load it."""
        try:
            data, path = parse_ob(source)
        except ValueError as exc:
            raise LoadError(str(exc)) from None
        lines = []
        if self.instrument is not None:
            try:
                data = ip.prepare_ob(data, ip.load_instrument_package(self.instrument))
            except ip.PackageNotFound as exc:
                lines.append(f"not checked against an instrument package: {exc}")
        loaded = self.engine.begin_load([("ob", data, path)])
        return _then(loaded, lambda nodes: Outcome("\n".join([f"{said}({nodes[0].sn}) {nodes[0].name}", *lines])))

    def _instrument(self, args) -> Outcome:
        if args.insid is not None:
            self.instrument = None if args.insid == "-" else args.insid
        if self.instrument is None:
            return Outcome("OBs are not checked against an instrument package")
        try:
            found = f"found in {ip.load_instrument_package(self.instrument).root}"
        except ip.IPError as exc:
            found = f"not usable now: {exc}"
        return Outcome(f"OBs are checked against the {self.instrument} instrument package ({found})")

    def _lsob(self, args) -> Outcome:
        obs = self.engine.obs()
        return Outcome("\n".join(map(_describe_ob, obs)), data=obs)

    def _run(self, args) -> Outcome:
        self.engine.run()
        return Outcome("started")

    async def _wait(self, args) -> Outcome:
        outcome = await self.engine.wait(args.seconds)
        return Outcome(outcome, data=outcome)

    def _flag_command(self, flag: str):
        def run(args) -> Outcome:
            if (args.sn is None) == (args.name is None):
                raise CommandError(f"{flag}: give either a serial number or -find_name NAME")
            ref = args.sn if args.sn is not None else args.name
            return self._set_flag(ref, flag, not args.clear)

        return run

    def _set_flag(self, ref, flag: str, value: bool | None) -> Outcome:
        nodes = self.engine.set_flag(ref, flag, value)
        snapshot = self.engine.snapshot()
        lines = [_node_line(snapshot, node.sn) for node in nodes]
        if len(nodes) > 1:
            lines.insert(0, f"{len(nodes)} nodes are named {ref!r}; each one changed:")
        return Outcome("\n".join(lines))

    def _abort(self, args) -> Outcome:
        loading = self.engine.loading
        self.engine.abort()
        return Outcome(f"aborted the load of {loading}" if loading else "aborted")

    def _control(self, done: str, action, *args) -> Outcome:
        action(*args)
        return Outcome(done)

    def _retry(self, args) -> Outcome:
        self.engine.retry(args.sn)
        return Outcome("retrying" if args.sn is None else f"retrying node {args.sn}")

    def _lsvar(self, args) -> Outcome:
        variables = self.engine.variables()
        lines, group = [], None
        for var in variables:
            key = (var.get("ob"), var.get("template"))
            if key != group:
                group = key
                lines.append(f"OB {key[0]} {var.get('ob_name', '')} template {key[1]} {var.get('template_name', '')}".rstrip())
            lines.append(f"  {var['name']} ({var.get('type', '?')}) = {var.get('value')!r}")
        return Outcome("\n".join(lines), data=variables)

    def _setvar(self, args) -> Outcome:
        self.engine.set_variable(args.ob, args.template, args.name, args.value)
        return Outcome(f"OB {args.ob} template {args.template}: {args.name} = {args.value}")

    def _answer(self, args) -> Outcome:
        self.engine.answer_dialog(args.sn, args.answer == "perform")
        return Outcome(f"dialog {args.sn}: {args.answer}")

    def _err(self, args) -> Outcome:
        try:
            raise RuntimeError("exception forced by the err command")
        except RuntimeError as exc:
            return Outcome(traceback.format_exc(), error=str(exc))


def _failure(exc: Exception) -> Outcome:
    """The Outcome of a command that raised ``exc``."""
    if isinstance(exc, _HelpShown):
        return Outcome(exc.text)
    if isinstance(exc, LoadError):
        return Outcome(output=exc.traceback, error=str(exc))
    if isinstance(exc, (CommandError, EngineError, ValueError, ip.IPError, session.SessionError)):
        return Outcome(error=str(exc) or type(exc).__name__)
    return Outcome(output="".join(traceback.format_exception(exc)), error=f"{type(exc).__name__}: {exc}")


async def _finish(pending: Awaitable[Outcome]) -> Outcome:
    try:
        return await pending
    except Exception as exc:
        return _failure(exc)


async def _then(pending: Awaitable, done: Callable[[Any], Outcome]) -> Outcome:
    """``done(result)`` once ``pending`` has given its result: the end of a command that waits."""
    return done(await pending)


def _node_line(snapshot: dict, sn: int) -> str:
    """``(3) a FINISHED|RT.SKIP``: one node of a snapshot, as a command's confirmation."""
    pending = [*(snapshot.get("root") or {}).get("children", []), *snapshot.get("scripts", [])]
    while pending:
        node = pending.pop()
        if node.get("sn") == sn:
            return f"({sn}) {node['name']} {protocol.display_state(node['state'], node['flags'])}"
        pending.extend(node.get("children", []))
    return f"({sn})"


def _describe_ob(ob: dict) -> str:
    templates = ", ".join(ob.get("templates", []))
    return f"{ob['index']}: ({ob['sn']}) {ob['name']} [{templates}] {ob.get('source') or ''}".rstrip()
