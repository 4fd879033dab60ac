"""The kernel's side of the command language: one text line in, one reply out.

The shell, the server and the GUI all end up sending these lines, so what every
kernel command does lives here, once; its words are the protocol's table's. A
line is split like a shell would and parsed with argparse; a parser never exits
the process: bad arguments become a failed reply carrying the usage text,
``CMD -h`` a successful one carrying the help.
"""
from __future__ import annotations

import json
import traceback
from collections.abc import Awaitable, Callable
from typing import Any

import protocol
from protocol import Outcome
from seqkernel import ip, session
from seqkernel.engine import EngineError, LoadError, Place
from seqkernel.history import format_history
from seqkernel.ob import parse_ob


class CommandError(Exception):
    """A command that cannot be carried out; the text is the reply's error."""


class Commands:
    """Parses command lines and carries them out on an engine.

    The commands are those of the protocol's table (``protocol.COMMANDS``) that
    the kernel carries out, each parsed with a parser built from the table, so
    the kernel and the shell agree on every command's words; ``_do_<name>``
    carries each one out.

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

    # -- entry point -------------------------------------------------------------------------

    def lookup(self, line: str) -> tuple[protocol.Command | None, list[str]]:
        """Split a line: (its command or None, its arguments). Raises CommandError when the line
        names no command the kernel carries out."""
        try:
            command, words = protocol.lookup(line)
        except protocol.CommandLineError as exc:
            raise CommandError(str(exc)) from None
        if command is not None and command.runs_in != protocol.KERNEL:
            raise CommandError(f"{command.name!r} is a command of the {command.runs_in}, not of the kernel")
        return command, words

    def is_waiting(self, line: str) -> bool:
        command = protocol.verb(line)
        return command is not None and command.waits

    def start(self, line: str) -> Outcome | Awaitable[Outcome]:
        """Carry out one line as far as it goes without waiting: its Outcome, or for a command
        that waits an awaitable giving the Outcome. Every failure becomes an Outcome with an
        error; nothing raises."""
        try:
            command, words = self.lookup(line)
            if command is None:
                return Outcome()
            result = getattr(self, f"_do_{command.name}")(protocol.parse(command, words))
        except Exception as exc:
            return _failure(exc)
        return result if isinstance(result, Outcome) else _finish(result)

    # -- the commands ------------------------------------------------------------------------

    def _do_help(self, args) -> Outcome:
        ours = {name: command for name, command in protocol.COMMANDS.items()
                if command.runs_in == protocol.KERNEL and name == command.name}
        if args.command:
            if args.command not in ours:
                raise CommandError(f"unknown command {args.command!r}")
            return Outcome(ours[args.command].build_parser().format_help())
        width = max(map(len, ours))
        return Outcome("\n".join(f"{name:<{width}}  {command.summary}" for name, command in sorted(ours.items())))

    def _do_load(self, args) -> Awaitable[Outcome]:
        loaded = self.engine.begin_load([("module", target) for target in args.targets], _place(args))
        return _then(loaded, lambda nodes: Outcome("\n".join(
            f"loaded {target}: ({node.sn}) {node.name}" for target, node in zip(args.targets, nodes))))

    def _do_ob(self, args) -> Awaitable[Outcome]:
        return self._load_ob(args.path, f"loaded OB {args.path}: ", _place(args))

    def _do_obdata(self, args) -> Awaitable[Outcome]:
        try:
            ob = json.loads(args.json)
        except json.JSONDecodeError as exc:
            raise CommandError(f"obdata: not valid JSON: {exc}") from None
        if not isinstance(ob, dict):
            raise CommandError("obdata: the OB must be a JSON object")
        return self._load_ob(ob, "loaded OB ", _place(args))

    def _load_ob(self, source, said: str, place) -> Awaitable[Outcome]:
        """Read an OB, check it against the instrument package (if any) and load it."""
        data, path, lines = self._checked_ob(source)
        loaded = self.engine.begin_load([("ob", data, path)], place)
        return _then(loaded, lambda nodes: Outcome("\n".join([f"{said}({nodes[0].sn}) {nodes[0].name}", *lines])))

    def _checked_ob(self, source) -> tuple[dict, str | None, list[str]]:
        """An OB read and checked against the instrument package (if any): its data, its file, and
        what to tell the operator about the check."""
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
        return data, path, lines

    def _do_instrument(self, args) -> Outcome:
        if args.insid is not None:
            self.instrument = None if args.insid == "-" else args.insid
        if self.instrument is None:
            return Outcome("OBs are not checked against an instrument package")
        try:
            found = f"found in {ip.load_instrument_package(self.instrument).root}"
        except ip.IPError as exc:
            found = f"not usable now: {exc}"
        return Outcome(f"OBs are checked against the {self.instrument} instrument package ({found})")

    def _do_lsob(self, args) -> Outcome:
        obs = self.engine.obs()
        return Outcome("\n".join(map(_describe_ob, obs)), data=obs)

    def _do_run(self, args) -> Outcome:
        self.engine.run()
        return Outcome("started")

    async def _do_wait(self, args) -> Outcome:
        outcome = await self.engine.wait(args.seconds)
        return Outcome(outcome, data=outcome)

    def _do_modules(self, args) -> Outcome:
        return Outcome("\n".join(self.engine.modules()))

    def _do_nodes(self, args) -> Outcome:
        return Outcome(protocol.format_nodes(self.engine.snapshot()))

    def _do_tree(self, args) -> Outcome:
        return Outcome(protocol.format_tree(self.engine.snapshot()))

    def _do_snapshot(self, args) -> Outcome:
        return Outcome(data=self.engine.snapshot())

    def _do_pause(self, args) -> Outcome:
        if args.sn is None and args.find_name is None:
            if args.no_flag:
                raise CommandError("pause -no-flag: give the node (SN or -find_name); resume without a serial "
                                   "number releases the queue")
            self.engine.hold()
            return Outcome("the queue is held: the run stops before its next item begins (the item in progress "
                           "goes on); resume releases it")
        return self._flag_command("pause", args)

    def _do_skip(self, args) -> Outcome:
        return self._flag_command("skip", args)

    def _flag_command(self, flag: str, args) -> Outcome:
        ref = args.sn if args.sn is not None else args.find_name
        return self._set_flag(ref, flag, not args.no_flag)

    def _do_unpause(self, args) -> Outcome:
        return self._set_flag(args.ref, "pause", False)

    def _do_unskip(self, args) -> Outcome:
        return self._set_flag(args.ref, "skip", False)

    def _do_flip(self, args) -> Outcome:
        return self._set_flag(args.ref, args.flag, None)

    def _set_flag(self, ref, flag: str, value: bool | None) -> Outcome:
        nodes = self.engine.set_flag(ref, flag, value)
        snapshot = self.engine.snapshot()
        lines = [_node_line(snapshot, node.sn) for node in nodes]
        if len(nodes) > 1:
            lines.insert(0, f"{len(nodes)} nodes are named {ref!r}; each one changed:")
        return Outcome("\n".join(lines))

    def _do_resume(self, args) -> Outcome:
        self.engine.resume(args.sn)
        return Outcome("the queue is released" if args.sn is None else f"resumed from node {args.sn}")

    # -- the queue

    def _do_queue(self, args) -> Outcome:
        snapshot = self.engine.snapshot()
        return Outcome(protocol.format_queue(snapshot), data=snapshot)

    def _do_move(self, args) -> Outcome:
        node = self.engine.move(args.sn, _place(args))
        return Outcome(f"moved ({node.sn}) {node.name}: {_whereabouts(node)}")

    def _do_remove(self, args) -> Outcome:
        removed = self.engine.remove(args.sns)
        return Outcome("\n".join(f"removed ({node.sn}) {node.name}" for node in removed))

    def _do_replace(self, args) -> Awaitable[Outcome]:
        target = args.target
        if target.lstrip().startswith("{") or target.endswith(".json"):
            data, path, lines = self._checked_ob(target)
            source = ("ob", data, path)
        else:
            source, lines = ("module", target), []
        replaced = self.engine.begin_replace(args.sn, source)
        return _then(replaced, lambda node: Outcome("\n".join(
            [f"replaced ({args.sn}) by ({node.sn}) {node.name}: {_whereabouts(node)}", *lines])))

    def _do_requeue(self, args) -> Outcome:
        node = self.engine.requeue(args.sn, _place(args) or Place("last"))
        return Outcome(f"queued ({node.sn}) {node.name}, a copy of ({args.sn}): {_whereabouts(node)}")

    def _do_history(self, args) -> Outcome:
        entries = self.engine.history()
        return Outcome(format_history(entries), data=entries)

    def _do_continue(self, args) -> Outcome:
        self.engine.cont()
        return Outcome("continuing")

    def _do_reset(self, args) -> Outcome:
        self.engine.reset()
        return Outcome("reset")

    def _do_clear(self, args) -> Outcome:
        self.engine.clear()
        return Outcome("cleared")

    def _do_save(self, args) -> Outcome:
        return Outcome(session.save(self.engine, args.path))

    def _do_session(self, args) -> Awaitable[Outcome]:
        return _then(session.restore(self.engine, args.path), Outcome)

    def _do_abort(self, args) -> Outcome:
        loading = self.engine.loading
        self.engine.abort()
        return Outcome(f"aborted the load of {loading}" if loading else "aborted")

    def _do_retry(self, args) -> Outcome:
        self.engine.retry(args.sn)
        return Outcome("retrying" if args.sn is None else f"retrying node {args.sn}")

    def _do_lsvar(self, args) -> Outcome:
        variables = self.engine.variables()
        lines, group = [], None
        for var in variables:
            key = (var.get("ob"), var.get("template"))
            if key != group:
                group = key
                lines.append(f"OB {key[0]} {var.get('ob_name', '')} template {key[1]} {var.get('template_name', '')}".rstrip())
            lines.append(f"  {var['name']} ({var.get('type', '?')}) = {var.get('value')!r}")
        return Outcome("\n".join(lines), data=variables)

    def _do_setvar(self, args) -> Outcome:
        self.engine.set_variable(args.ob, args.template, args.name, args.value)
        return Outcome(f"OB {args.ob} template {args.template}: {args.name} = {args.value}")

    def _do_answer(self, args) -> Outcome:
        self.engine.answer_dialog(args.sn, args.answer == "perform")
        return Outcome(f"dialog {args.sn}: {args.answer}")

    def _do_err(self, args) -> Outcome:
        try:
            raise RuntimeError("exception forced by the err command")
        except RuntimeError as exc:
            return Outcome(traceback.format_exc(), error=str(exc))


def _failure(exc: Exception) -> Outcome:
    """The Outcome of a command that raised ``exc``."""
    if isinstance(exc, protocol.HelpRequested):
        return Outcome(exc.text)
    if isinstance(exc, LoadError):
        return Outcome(output=exc.traceback, error=str(exc) or "the load failed")
    if isinstance(exc, (CommandError, protocol.CommandLineError, EngineError, ValueError, ip.IPError,
                        session.SessionError)):
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


def _place(args) -> Place | None:
    """The position a command's ``--first | --last | --before SN | --after SN`` gives, or None."""
    place = protocol.place_of(args)
    return None if place is None else Place(*place)


def _whereabouts(node) -> str:
    """``3 of 5 in the queue``, ``2 of 4 in OB (12) night``: where a node now is."""
    container = node.parent
    siblings = container.children
    position = next(i for i, child in enumerate(siblings) if child is node) + 1
    within = "the queue" if getattr(container, "is_engine_root", False) else f"OB ({container.sn}) {container.name}"
    return f"{position} of {len(siblings)} in {within}"


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
