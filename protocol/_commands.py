"""The command language (``protocol/README.md``, section 8): every command, once.

The kernel parses command lines with parsers built from this table; the shell
builds its own (with completion) from it too, and adds the commands it carries
out itself, which are declared here as well. What the server must know about a
command without running it (whether it may take long, whether it goes ahead of
a client's queue, what crash recovery does with it, who may send it) is read
from here, never from the wording of a line or of a reply.
"""
from __future__ import annotations

import argparse
import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NoReturn

# Where a command is carried out.
KERNEL = "kernel"
SHELL = "shell"  # the shell itself (through a server: the server's shell)
SEQSERVER = "seqserver"  # the server itself: what a sequence component does (protocol/README.md, section 12)

# Who may send it (a client's token carries one role; each includes those before it).
OBSERVER = "observer"  # looks: snapshot, events, commands that only read
OPERATOR = "operator"  # drives the loaded work
ENGINEER = "engineer"  # also loads code and files, and runs commands on the host
ROLES = (OBSERVER, OPERATOR, ENGINEER)

# What crash recovery does with a command that succeeded (the server's work log).
REPLAY = "replay"  # loaded work: replayed as sent on a fresh shell and kernel
SETTING = "setting"  # a setting of the shell: replayed first, kept through clear and init
FORGET = "forget"  # drops the loaded work: nothing before it is replayed

# Help topics.
EXECUTION = "Execution"
NODES = "Scripts and nodes"
OBS = "Observation blocks"
SESSION = "Shell and kernel"
QUEUE = "The queue"
COMPONENT = "Sequence components"


@dataclass(frozen=True)
class Argument:
    """One argument: argparse's ``names`` and ``options``, and what a shell completes it with
    (``serial_numbers``, ``node_names``, ``node_references``, ``dialogs``, ``modules``, ``paths``)."""

    names: tuple[str, ...]
    options: Mapping[str, Any] = field(default_factory=dict)
    completion: str | None = None
    exclusive: bool = False  # one of the command's mutually exclusive arguments


@dataclass(frozen=True)
class Command:
    """What the language says about one command."""

    name: str
    summary: str  # one line, for the list of commands
    description: str  # the usage's text, for ``help COMMAND``
    topic: str
    arguments: tuple[Argument, ...] = ()
    aliases: tuple[str, ...] = ()
    subcommands: tuple[Command, ...] = ()
    exclusive_required: bool = False  # one of the exclusive arguments must be given
    runs_in: str = KERNEL
    role: str = OPERATOR
    role_with_arguments: str | None = None  # a command that shows without arguments and changes with them
    waits: bool = False  # may take long: served beside later commands, so replies may come in another order
    interrupts: bool = False  # goes ahead of what a client has queued (it ends what those wait for)
    follows_run: bool = False  # starts execution: a command file goes on once execution stops
    restore: str | None = None  # REPLAY, SETTING or FORGET: what crash recovery does with it

    def build_parser(self, parser_class: type[argparse.ArgumentParser] = argparse.ArgumentParser,
                     complete: Callable[[Argument], Mapping[str, Any]] = lambda argument: {},
                     **parser_options: Any) -> argparse.ArgumentParser:
        """An argparse parser of ``parser_class`` for this command; ``complete`` gives the extra
        options (a shell's completers) of each argument."""
        parser = parser_class(prog=self.name, description=self.description, **parser_options)
        self._add_arguments(parser, complete)
        if self.subcommands:
            actions = parser.add_subparsers(dest="subcommand", metavar="ACTION")
            for sub in self.subcommands:
                word = sub.name.split()[-1]
                subparser = actions.add_parser(word, help=sub.summary, description=sub.description)
                sub._add_arguments(subparser, complete)
        return parser

    def _add_arguments(self, parser: argparse.ArgumentParser,
                       complete: Callable[[Argument], Mapping[str, Any]]) -> None:
        exclusive: Any = None  # argparse's group, made only when there is one (an empty one breaks the usage)
        for argument in self.arguments:
            if argument.exclusive and exclusive is None:
                exclusive = parser.add_mutually_exclusive_group(required=self.exclusive_required)
            target = exclusive if argument.exclusive else parser
            target.add_argument(*argument.names, **{**argument.options, **complete(argument)})

    def only_shows(self, words: list[str]) -> bool:
        """Whether a line of this command with these words after its name changes nothing
        (a command that shows without arguments and changes with them, given none)."""
        return self.role_with_arguments is not None and not words

    def role_for(self, words: list[str]) -> str:
        """The role a line of this command needs, given the words after its name."""
        if self.role_with_arguments is not None and words:
            return self.role_with_arguments
        return self.role


def _sn(help_text: str = "serial number of the node (see nodes)", **options: Any) -> Argument:
    return Argument(("sn",), {"type": int, "metavar": "SN", "help": help_text, **options}, "serial_numbers")


def _node_flag(flag: str, description: str, node_required: bool = True) -> Command:
    """``COMMAND SN | COMMAND -find_name NAME [-no-flag]`` (manual 7.1)."""
    return Command(
        flag, f"Set (or with -no-flag clear) a node's {flag.upper()} flag.", description, EXECUTION,
        arguments=(
            Argument(("sn",), {"type": int, "nargs": "?", "metavar": "SN",
                               "help": "serial number of the node (see nodes)"}, "serial_numbers", exclusive=True),
            Argument(("-find_name", "--find-name"), {"dest": "find_name", "metavar": "NAME",
                                                      "help": "the nodes with this name instead"},
                     "node_names", exclusive=True),
            Argument(("-no-flag", "--no-flag"), {"dest": "no_flag", "action": "store_true",
                                                  "help": f"clear the {flag.upper()} flag instead of setting it"}),
        ),
        exclusive_required=node_required)


def _place(what: str) -> tuple[Argument, ...]:
    """Where a command puts what it loads, moves or copies: ``--first | --last | --before SN | --after SN``."""
    def sibling(where: str) -> Argument:
        return Argument((f"--{where}",), {"type": int, "metavar": "SN", "help": f"{where} the node SN (a script or "
                                          f"OB of the queue; for a template, one of its OB)"},
                        "serial_numbers", exclusive=True)

    def end(where: str, help_text: str) -> Argument:
        return Argument((f"--{where}",), {"action": "store_true", "help": help_text}, exclusive=True)

    return (end("first", f"put {what} at the front (during a run: the front of what has not started, so it "
                         "runs next)"),
            end("last", f"put {what} at the end"), sibling("before"), sibling("after"))


def place_of(args: argparse.Namespace) -> tuple[str, int | None] | None:
    """The position a parsed line's ``--first | --last | --before SN | --after SN`` gives:
    ``("first", None)``, ``("after", 12)``..., or None when none was given."""
    for where in ("first", "last"):
        if getattr(args, where):
            return where, None
    for where in ("before", "after"):
        if getattr(args, where) is not None:
            return where, getattr(args, where)
    return None


def _path(metavar: str, help_text: str, **options: Any) -> Argument:
    return Argument(("path",), {"metavar": metavar, "help": help_text, **options}, "paths")


COMMANDS: tuple[Command, ...] = (
    # -- scripts and nodes
    Command("load", "Load sequencer scripts.",
            "Load sequencer scripts into the kernel. A module is named as Python would import it "
            "(e.g. seq.samples.a); a path to a .py file works too. A module already loaded is reloaded, "
            "so edits are picked up. All of them load, or none when one fails. They join the queue at the end, "
            "or where a position says; during a run they run in it.", NODES,
            arguments=(Argument(("targets",), {"nargs": "+", "metavar": "MODULE"}, "modules"), *_place("them")),
            role=ENGINEER, waits=True, restore=REPLAY),
    Command("modules", "List the loaded modules.", "List the modules loaded in the kernel (scripts and the "
            "templates of loaded OBs).", NODES, role=OBSERVER),
    Command("nodes", "Show the nodes with their serial numbers and states.",
            "Show every loaded script's nodes, one per line: <type>-- (<serial number>) <name> <STATE|FLAGS>, "
            "indented by depth. Types: A action, S sequence, P parallel, L loop, T template, D dialog, "
            "O observation block. The serial numbers are what pause, skip, resume... take.", NODES, role=OBSERVER),
    Command("tree", "Show the tree of the loaded scripts.",
            "Show the tree of the loaded scripts with each node's serial number and description "
            "(see also nodes).", NODES, role=OBSERVER),
    Command("snapshot", "Return the loaded tree and its states as data.",
            "Return the loaded tree and its states as data (the reply's data: the protocol's snapshot).",
            NODES, role=OBSERVER),
    # -- execution
    Command("run", "Execute all the loaded scripts.",
            "Execute all the loaded scripts from the start. The reply comes once execution has started; at "
            "a shell's prompt the run is followed by its events, in a command file the command returns "
            "when execution stops (finished, error, paused or aborted).", EXECUTION, follows_run=True),
    Command("wait", "Wait until execution stops.",
            "Wait until execution stops and say how: finished, error, paused, aborted or idle (timeout "
            "after SECONDS).", EXECUTION,
            arguments=(Argument(("seconds",), {"nargs": "?", "type": float, "metavar": "SECONDS",
                                               "help": "give up after this many seconds (reply: timeout)"}),),
            role=OBSERVER, waits=True),
    _node_flag("pause", "Mark a node to pause: execution stops there (PAUSED) until resume. The flag stays for "
               "later runs until cleared. -find_name acts on every node of that name. Without a node: hold the "
               "queue, so that the run stops before its next item begins (the item in progress goes on) until "
               "resume without a serial number.", node_required=False),
    _node_flag("skip", "Mark a node to be skipped: it is not run and becomes FINISHED|SKIP. The flag stays for "
               "later runs until cleared. -find_name acts on every node of that name."),
    Command("unpause", "Clear a node's PAUSE flag.", "Clear a node's PAUSE flag (by serial number or name).",
            EXECUTION, arguments=(Argument(("ref",), {"metavar": "SN|NAME", "help": "serial number or name"},
                                           "node_references"),)),
    Command("unskip", "Clear a node's SKIP flag.", "Clear a node's SKIP flag (by serial number or name).",
            EXECUTION, arguments=(Argument(("ref",), {"metavar": "SN|NAME", "help": "serial number or name"},
                                           "node_references"),)),
    Command("flip", "Flip a node's pause or skip flag.",
            "Flip a node's pause or skip flag, e.g. flip pause 3 (a node name works too).", EXECUTION,
            arguments=(Argument(("flag",), {"choices": ("skip", "pause")}),
                       Argument(("ref",), {"metavar": "SN|NAME", "help": "serial number or name of the node"},
                                "node_references"))),
    Command("resume", "Resume a paused node, or release the queue.", "Resume a paused script from its PAUSED "
            "node; without a serial number, release the queue held by pause (the run goes on with its next item).",
            EXECUTION, arguments=(_sn("serial number of the PAUSED node", nargs="?"),), follows_run=True),
    Command("retry", "Retry the failed node.",
            "Run the failed node again and, if it succeeds, the rest of the script.", EXECUTION,
            arguments=(_sn("serial number of the failed node (default: the one that failed)", nargs="?"),),
            follows_run=True),
    Command("continue", "Continue from the next unfinished node.",
            "After an error or an abort, go on with every node that has not finished (the failed node stays "
            "failed); while paused, release the paused nodes.", EXECUTION, aliases=("cont",), follows_run=True),
    Command("abort", "Abort execution, or a load in progress.",
            "Abort the running scripts (running nodes are CANCELLED), or a load whose module hangs while it is "
            "imported (nothing of it is loaded). Ctrl-C while a shell waits for the kernel sends abort.",
            EXECUTION, interrupts=True),
    Command("reset", "Reset every node.", "Return every node to NOT_STARTED (aborting a run first), ready to "
            "run again.", EXECUTION),
    Command("err", "Force an exception.", "Force an exception in the kernel (to check error reporting).",
            EXECUTION),
    Command("break", "Set a breakpoint on a node, or list breakpoints.",
            "Breakpoints: a breakpoint on a node is its PAUSE flag, so execution stops before the node runs "
            "and waits for resume. With a node, set a breakpoint there (-no-flag removes it); without, list the "
            "nodes that have one.", EXECUTION,
            arguments=_node_flag("pause", "").arguments, runs_in=SHELL, role=OBSERVER,
            role_with_arguments=OPERATOR),
    # -- observation blocks
    Command("ob", "Load an OB file.", "Load an observation block file (JSON). A kernel that checks OBs against "
            "an instrument package refuses one with problems, listing them all. The OB joins the queue at the end, "
            "or where a position says.", OBS,
            arguments=(_path("OBPATH", "the OB file"), *_place("it")), role=ENGINEER, waits=True, restore=REPLAY),
    Command("obdata", "Load an OB given inline.", "Load an OB given inline as one quoted JSON word (what ob "
            "sends through a server, which cannot read the client's files).", OBS,
            arguments=(Argument(("json",), {"metavar": "JSON"}), *_place("it")), role=ENGINEER, waits=True,
            restore=REPLAY),
    Command("lsob", "List the loaded OBs.", "List the loaded observation blocks.", OBS, role=OBSERVER),
    Command("instrument", "Show or change the instrument OBs are checked against.",
            "Show the instrument whose package OBs are checked against when they are loaded, or change it "
            "(- for none). otto set insid=INSID changes it too.", OBS,
            arguments=(Argument(("insid",), {"nargs": "?", "metavar": "INSID",
                                             "help": "e.g. FORS2, or - for none"}),),
            role=OBSERVER, role_with_arguments=ENGINEER, restore=SETTING),
    Command("lsvar", "List template variables.", "List the template variables, by OB and template index, with "
            "their types and values.", OBS, role=OBSERVER),
    Command("setvar", "Set a template variable.", "Set a template variable (checked against its declared type; "
            "a bad value changes nothing). OB and TEMPLATE are the indexes lsvar shows.", OBS,
            arguments=(Argument(("ob",), {"type": int, "metavar": "OB"}),
                       Argument(("template",), {"type": int, "metavar": "TEMPLATE"}),
                       Argument(("name",), {"metavar": "NAME"}), Argument(("value",), {"metavar": "VALUE"})),
            restore=REPLAY),
    Command("answer", "Answer a dialog.", "Answer a dialog the running script asks: perform its extra step, or "
            "stop the sequence. In a command file, returns when execution stops again.", OBS,
            arguments=(Argument(("sn",), {"type": int, "metavar": "SN", "help": "serial number of the dialog node"},
                                "dialogs"),
                       Argument(("answer",), {"choices": ("perform", "stop")})),
            follows_run=True),
    Command("fetch", "Fetch an OB from OTTO.",
            "Fetch the next OB of OTTO's queue, keep it as a file in the session directory and load it; its "
            "OB events (Initiated, Started, Executed) are reported to OTTO as it runs. OTTO is set in the "
            "configuration file (seqshell --config FILE, manual 4.3) or with otto set.", OBS,
            runs_in=SHELL, waits=True, restore=REPLAY),
    Command("otto", "Show OTTO's settings or queue, or change the settings.",
            "OTTO, the observation handling system: without arguments, show its settings.", OBS,
            runs_in=SHELL, role=OBSERVER, subcommands=(
                Command("otto list", "list the OBs of OTTO's queue (> marks the next one)",
                        "List the OBs of OTTO's queue (> marks the next one).", OBS, runs_in=SHELL, role=OBSERVER),
                Command("otto set", "change settings, e.g. otto set url=http://127.0.0.1:5000/ insid=FORS2 "
                        "(an empty value clears one)", "Change OTTO's settings (url, insid, mode, user, password).",
                        OBS, arguments=(Argument(("settings",), {"nargs": "+", "metavar": "NAME=VALUE",
                                                                "help": "url, insid, mode, user or password"}),),
                        runs_in=SHELL, role=ENGINEER, restore=SETTING),
            )),
    # -- the queue
    Command("queue", "Show the queue: its scripts and OBs in order, with their states.",
            "Show the queue: the scripts and OBs loaded, in the order they run, each with its state and flags, an "
            "OB's templates below it; and whether the queue is held.", QUEUE, role=OBSERVER),
    Command("move", "Move a script or OB in the queue, or a template within its OB.",
            "Move a script or OB of the queue, or a template within its OB. During a run only what has not started "
            "moves, and only among what has not started.", QUEUE,
            arguments=(_sn("the script, OB or template to move"), *_place("it")), exclusive_required=True,
            restore=REPLAY),
    Command("remove", "Remove scripts, OBs or templates from the queue.",
            "Remove scripts, OBs or templates from the queue: all of them, or none when one cannot go (during a "
            "run, what has started stays). Their serial numbers are not given again.", QUEUE,
            arguments=(Argument(("sns",), {"type": int, "nargs": "+", "metavar": "SN"}, "serial_numbers"),),
            restore=REPLAY),
    Command("replace", "Replace a script or OB of the queue by another, in its place.",
            "Replace a script or OB of the queue (one that has not started, during a run) by a script (a module or "
            ".py file) or an OB (a .json file, or the OB's JSON as one quoted word), in its place.", QUEUE,
            arguments=(_sn("the script or OB to replace"),
                       Argument(("target",), {"metavar": "MODULE|FILE", "help": "a module, a .py file, an OB file "
                                              "(.json) or an OB's JSON"}, "modules")),
            role=ENGINEER, waits=True, restore=REPLAY),
    Command("requeue", "Queue a fresh copy of a script, OB or template again.",
            "Queue a fresh copy of a script, OB or template (typically one that ran, finished or failed): built "
            "again from the same module (not imported again) or OB entry, with the variables' current values, "
            "at the end of the queue (a template: of its OB) or where a position says.", QUEUE,
            arguments=(_sn("the script, OB or template to copy"), *_place("the copy")), restore=REPLAY),
    Command("history", "Show what the queue ran.",
            "Show the scripts and OBs that ran, in order, with their start and end times and how each ended "
            "(finished, error with its message, aborted, skipped); kept across reset, until clear.", QUEUE,
            role=OBSERVER),
    # -- shell and kernel
    Command("save", "Save the session.", "Save the session (the queue as it stands: modules, OBs with their variable values, "
            "runtime flags) to a file of the kernel's machine.", SESSION,
            arguments=(_path("FILE", "default: seq_session.json", nargs="?", default="seq_session.json"),),
            role=ENGINEER),
    Command("session", "Restore a saved session.", "Restore a session saved with save (added to what is "
            "loaded: all of it, or nothing when one script fails to load).", SESSION,
            arguments=(_path("FILE", "default: seq_session.json", nargs="?", default="seq_session.json"),),
            role=ENGINEER, waits=True, restore=REPLAY),
    Command("clear", "Unload everything.", "Unload every script and OB (a shell stops its kernel: init starts "
            "a new one; through a server a fresh kernel with nothing loaded starts at once).", SESSION,
            role=ENGINEER, restore=FORGET),
    Command("init", "Start a new kernel process.", "Start a new kernel process (the running one, if any, is "
            "stopped first, and what it had loaded is dropped).", SESSION, runs_in=SHELL, role=ENGINEER,
            restore=FORGET),
    Command("bp", "Run a system command.", "Bypass to a subprocess: run a system command on the shell's "
            "machine (e.g. bp ls -l) and show its output. !COMMAND is the same.", SESSION,
            arguments=(Argument(("command",), {"nargs": argparse.REMAINDER, "metavar": "COMMAND"}, "paths"),),
            runs_in=SHELL, role=ENGINEER, waits=True),
    Command("quit", "Stop the shell.", "Stop the shell; its kernel stops with it (not through a server, "
            "whose shell serves every client).", SESSION, runs_in=SHELL, role=OBSERVER),
    # -- a sequence component (the server)
    Command("loadscript", "Load the script of an observing mode: become its sequencer.",
            "Look the script of SUBSYSTEM for OBSMODE (and VARIATION) up in the configuration file's scripts "
            "section, load it, and register this component as the sequencer SUBSYSTEM@OBSMODE[.VARIATION] in "
            "the location service.", COMPONENT,
            arguments=(Argument(("subsystem",), {"metavar": "SUBSYSTEM", "help": "e.g. IRIS"}),
                       Argument(("obsmode",), {"metavar": "OBSMODE", "help": "e.g. IRIS_ifsonly"}),
                       Argument(("variation",), {"nargs": "?", "metavar": "VARIATION", "help": "e.g. IMAGER"})),
            runs_in=SEQSERVER, role=ENGINEER, waits=True),
    Command("unloadscript", "Unload the sequencer's script: idle again.",
            "Unload the script this component runs and remove its sequencer name from the location service "
            "(nothing to do when it is idle).", COMPONENT, runs_in=SEQSERVER, role=ENGINEER, waits=True),
    Command("restartscript", "Unload the sequencer's script and load it again.",
            "Unload the script this component runs, then load the same again (an error when it is idle).",
            COMPONENT, runs_in=SEQSERVER, role=ENGINEER, waits=True),
    Command("getstatus", "Where this sequencer is, or that the component is idle.",
            "Say which sequencer this component runs and where it is (data: its location service entry), or "
            "that it is idle (data: null).", COMPONENT, runs_in=SEQSERVER, role=OBSERVER),
    Command("getsequencecomponent", "The component this sequencer runs on.",
            "Say which sequence component runs this sequencer, and where it is (data: its location service "
            "entry).", COMPONENT, runs_in=SEQSERVER, role=OBSERVER),
    Command("locate", "List the components and sequencers of the location service; --watch follows them.",
            "List the sequence components and sequencers of the location service this server uses (its --redis, "
            "else SEQ_REGISTRY, else the embedded registry of its machine), with their entries as the reply's "
            "data. With --watch, this client is also sent directory events: the whole listing, then every "
            "registration, change and removal, until it disconnects or sends locate --unwatch.", COMPONENT,
            arguments=(Argument(("pattern",), {"nargs": "?", "metavar": "PATTERN",
                                               "help": "only these names: a glob (IRIS@*) or a part of a name"}),
                       Argument(("--watch",), {"action": "store_true",
                                               "help": "then send this client every change, as it happens"},
                                exclusive=True),
                       Argument(("--unwatch",), {"action": "store_true",
                                                 "help": "stop sending this client the changes"}, exclusive=True)),
            runs_in=SEQSERVER, role=OBSERVER),
    Command("help", "List the commands, or show one command's help.", "List the commands, or show one "
            "command's usage.", SESSION, arguments=(Argument(("command",), {"nargs": "?",
                                                                           "help": "a command name"}),),
            role=OBSERVER),
)


def _index(commands: tuple[Command, ...]) -> dict[str, Command]:
    table = {}
    for command in commands:
        for name in (command.name, *command.aliases):
            table[name] = command
        table.update(_index(command.subcommands))
    return table


BY_NAME: Mapping[str, Command] = _index(COMMANDS)

WAITING_COMMANDS = frozenset(name for name, command in BY_NAME.items() if command.waits and " " not in name)
"""Commands that may take long (``wait``; the loads, while modules are imported): served
beside the others, so their replies may come after those of commands sent later."""


class CommandLineError(ValueError):
    """A line that is not a command of the language (bad quoting, unknown command, bad arguments:
    the text then holds the usage and argparse's message)."""


class HelpRequested(Exception):
    """``CMD -h``: not an error; ``text`` is the command's help."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


class ReportingParser(argparse.ArgumentParser):
    """argparse that raises instead of printing and exiting the process (a server's and a kernel's)."""

    def error(self, message: str) -> NoReturn:
        raise CommandLineError(f"{self.format_usage().rstrip()}\n{self.prog}: error: {message}")

    def print_help(self, file: Any = None) -> None:
        raise HelpRequested(self.format_help())

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        raise CommandLineError(message or f"{self.prog}: exited")


_parsers: dict[str, ReportingParser] = {}


def parse(command: Command, words: list[str]) -> argparse.Namespace:
    """The arguments of a line of ``command`` (the words after its name); CommandLineError with the
    usage for bad ones, HelpRequested for ``-h``."""
    if command.name not in _parsers:
        _parsers[command.name] = command.build_parser(ReportingParser)  # type: ignore[assignment]
    return _parsers[command.name].parse_args(words)


def split_line(line: str) -> list[str]:
    """A command line's words, split like a shell would (``#`` starts a comment)."""
    try:
        return shlex.split(line, comments=True)
    except ValueError as exc:
        raise CommandLineError(f"cannot parse the line: {exc}") from None


def lookup(line: str) -> tuple[Command | None, list[str]]:
    """(the command a line names, the words after its name); (None, []) for an empty line.

    A subcommand (``otto set``) is found when its words follow. Raises CommandLineError.
    """
    words = split_line(line)
    if not words:
        return None, []
    command = BY_NAME.get(words[0])
    if command is None:
        raise CommandLineError(f"unknown command {_short(words[0])!r}; 'help' lists the commands")
    if len(words) > 1 and (sub := BY_NAME.get(f"{command.name} {words[1]}")) is not None:
        return sub, words[2:]
    return command, words[1:]


def verb(line: str) -> Command | None:
    """The command a line names, or None (empty, unknown or badly quoted)."""
    try:
        return lookup(line)[0]
    except CommandLineError:
        return None


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else f"{text[:limit]}..."
