"""``seqtool run MODULES...``: execute sequencer scripts in process, one after the other (manual 7.2).

Non-interactive: it stops at the first problem. The exit status is 0 when every
script finished, 1 when a step failed (its traceback is printed), the run was
stopped, or it paused (nobody is there to resume it), and 2 when a script could
not be loaded. ``seq_user.log`` (user logging and the steps started and ended)
and ``seqrun_<pid>.log`` (the tree as loaded, then every state change, error and
log record, which ``seqtool gui --replay`` draws as a timeline) are written in
the current directory. On a terminal a live view of the tree shows each
node's state; otherwise the log lines are printed as they come.
"""
import datetime
import os
import sys
import textwrap

import trio
from rich.live import Live
from rich.text import Text
from rich.tree import Tree

import protocol

from . import host
from .engine import Engine, LoadError
from .loading import search_current_directory
from .states import display_state

LIVE_CHILDREN_SHOWN = 20
_STATE_STYLE = {
    "RUNNING": "bold green",
    "PAUSED": "bold yellow",
    "FINISHED|ERROR": "bold red",
    "CANCELLED|ERROR": "red",
    "CANCELLED": "magenta",
    "FINISHED": "green",
    "FINISHED|SKIP": "cyan",
}


def configure(parser):
    parser.add_argument("modules", metavar="MODULES", nargs="+", help="scripts: dotted module names or .py files")


def main(args) -> int:
    search_current_directory()
    return host.run(run_modules, args.modules, getattr(args, "log_level", "INFO"), sys.stdout.isatty())


def _timestamp(ts) -> str:
    moment = datetime.datetime.fromtimestamp(ts)
    return moment.strftime("%Y-%m-%d %H:%M:%S,") + f"{moment.microsecond // 1000:03d}"


class RunLogs:
    """The two log files of ``seqtool run``, written from the engine's records."""

    def __init__(self, directory="."):
        self.user = open(os.path.join(directory, "seq_user.log"), "a", encoding="utf-8")
        self.run = open(os.path.join(directory, f"seqrun_{os.getpid()}.log"), "a", encoding="utf-8")

    def write(self, record):
        stamp = _timestamp(record["ts"])
        kind = record["kind"]
        if kind == "log":
            line = f"{stamp} {record['level']} {record['logger']}: {record['message']}\n"
            self.run.write(line)
            if not record["logger"].startswith("seq.lib"):
                self.user.write(line)
        elif kind == "state":
            state = display_state(record["state"], record["flags"])
            self.run.write(f"{stamp} STATE ({record['sn']}) {record['name']} {state}\n")
        elif kind == "error":
            text = f"{stamp} ERROR in ({record['sn']}) {record['name']}: {record['exception']}\n{record['traceback']}"
            self.run.write(text)
            self.user.write(text)
        elif kind == "run":
            self.run.write(f"{stamp} RUN {record['status']}\n")
        elif kind == "tree":
            names = ", ".join(script["name"] for script in record["snapshot"]["scripts"])
            nodes = textwrap.indent(protocol.format_nodes(record["snapshot"]), "    ")
            self.run.write(f"{stamp} TREE {record['action']}: {names}\n{nodes}\n")
        elif kind == "dialog":
            self.run.write(f"{stamp} DIALOG {record['action']} ({record['sn']}) {record['name']}\n")

    def close(self):
        self.user.close()
        self.run.close()


class PlainView:
    """Prints log lines ``LEVEL:logger:message`` as they come (not a terminal)."""

    def __init__(self, level):
        self.level = protocol.level_number(level) if isinstance(level, str) else level

    def shows(self, record) -> bool:
        return record["kind"] == "log" and protocol.level_number(record["level"]) >= self.level

    def record(self, record):
        if self.shows(record):
            print(f"{record['level']}:{record['logger']}:{record['message']}", flush=True)

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        return False


class LiveView(PlainView):
    """A live tree of the nodes with their states, log lines printed above it (a terminal)."""

    def __init__(self, level, engine_root):
        super().__init__(level)
        self.root = engine_root
        self.live = Live(self.render(), auto_refresh=False, redirect_stdout=True, redirect_stderr=True)
        self.dirty = trio.Event()
        self.nursery_manager = trio.open_nursery()

    def record(self, record):
        if self.shows(record):
            line = f"{record['level']}:{record['logger']}:{record['message']}"
            self.live.console.print(line, markup=False, highlight=False)
        elif record["kind"] in ("state", "tree"):
            self.dirty.set()

    def render(self):
        tree = Tree("seqtool run", guide_style="grey50")

        def label(node):
            text = Text(f"{node.type_code} ({node.sn}) {node.name} ")
            state = display_state(node.state.value, node.flags)
            text.append(state, style=_STATE_STYLE.get(node.state.value, "grey62"))
            return text

        def add(branch, node):
            children = list(node.subnodes)
            if len(children) <= LIVE_CHILDREN_SHOWN:
                shown, hidden = children, []
            else:
                notable = ("RUNNING", "PAUSED", "FINISHED|ERROR")
                shown = [c for c in children if c.subnodes or c.state.value in notable]
                hidden = [c for c in children if c not in shown]
            for child in shown:
                add(branch.add(label(child)), child)
            if hidden:
                finished = sum(1 for c in hidden if c.state.finished)
                branch.add(Text(f"… {len(hidden)} more steps, {finished} finished", style="grey62"))

        for script in self.root.children:
            add(tree.add(label(script)), script)
        return tree

    async def refresh_forever(self):
        while True:
            await self.dirty.wait()
            self.dirty = trio.Event()
            self.live.update(self.render(), refresh=True)
            await trio.sleep(0.1)  # at most ten redraws a second

    async def __aenter__(self):
        self.live.start()
        self.nursery = await self.nursery_manager.__aenter__()
        self.nursery.start_soon(self.refresh_forever)
        return self

    async def __aexit__(self, *exc):
        self.nursery.cancel_scope.cancel()
        await self.nursery_manager.__aexit__(None, None, None)
        self.live.update(self.render(), refresh=True)
        self.live.stop()
        return False


async def run_modules(modules, log_level="INFO", live=False) -> int:
    logs = RunLogs()
    view = PlainView(log_level)

    def publish(record):
        logs.write(record)
        view.record(record)

    try:
        async with Engine.open(publish=publish, log_level=log_level) as engine:
            try:
                for module in modules:
                    engine.load(module)
            except LoadError as exc:
                print(f"seqtool run: {exc}", file=sys.stderr)
                if exc.traceback:
                    print(exc.traceback, file=sys.stderr, end="")
                return 2
            if live:
                view = LiveView(log_level, engine.root)
            async with view:
                engine.run()
                outcome = await engine.wait()
                if outcome == "paused":
                    waiting = [f"({n.sn}) {n.name}" for n in engine.root.walk() if n.state.value == "PAUSED"]
                    where = ", ".join(waiting) or "a dialog"
                    print(f"seqtool run: paused at {where}, which nobody can resume here: stopping", file=sys.stderr)
                    engine.abort()
                    await engine.wait()
            if outcome == "error" and engine.last_error:
                error = engine.last_error
                failed = f"step ({error['sn']}) {error['name']}"
                print(f"seqtool run: {failed} failed: {error['exception']}", file=sys.stderr)
                print(error["traceback"], file=sys.stderr, end="")
            print(f"seqtool run: {outcome}", file=sys.stderr if outcome != "finished" else sys.stdout)
            return 0 if outcome == "finished" else 1
    finally:
        logs.close()
