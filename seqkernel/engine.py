"""The engine: loaded scripts under one root, and the controls the kernel process drives.

``Engine.open(publish=callback)`` opens a nursery (and finds the asyncio loop
that asyncio steps run on, see :mod:`seqkernel.host`) and yields an engine. Everything that happens is passed to ``publish(record)``
synchronously and in order, as dicts already shaped like the protocol's event
bodies (kinds ``state``, ``tree``, ``run``, ``error``, ``dialog``, ``log``).
The control methods are plain functions called from within trio; they raise
:class:`EngineError` subclasses with a message meant for the operator.
"""
import contextlib
import logging
import math
import time
import traceback
from collections.abc import Awaitable
from typing import NamedTuple

import trio

from . import context
from . import ob as obs_module
from .errors import describe_exception
from .exceptions import EngineBusy, EngineError, LoadError, NodeNotFound, NotAllowed
from .execution import CONTINUE, FRESH, RETRY, Run, schedule, state_record
from .host import open_asyncio_loop
from .loading import ThreadedImport, import_all
from .log import PublishingHandler, lib_logger
from .nodes import Sequence, seq_factory
from .serials import Numbering, restore_numbering, use_numbering
from .states import RTFLAG, State
from .tree import node_dict

__all__ = ["Engine", "EngineBusy", "EngineError", "LoadError", "NodeNotFound", "NotAllowed", "ScriptRoot"]


class ScriptRoot(Sequence):
    """The engine's root: the loaded scripts, run one after the other."""

    is_engine_root = True
    __slots__ = ()

    async def _body(self, run):
        await run.execute(self.begin)
        for script in self.children:
            token = context.root.set(script)
            try:
                await run.execute(script)
            finally:
                context.root.reset(token)
        await run.execute(self.end)


def _check_unique_ids(script, what: str):
    """Refuse (LoadError) a script in which two nodes have one id, naming both."""
    seen = {}
    for node in script.walk():
        other = seen.setdefault(node.id, node)
        if other is not node:
            raise LoadError(f"cannot load {what}: id {node.id!r} is given to two nodes, ({other.sn}) {other.name} "
                            f"and ({node.sn}) {node.name}; ids must be unique in a script (manual 5.4)")


class _Planned(NamedTuple):
    """One script or OB to load: an OB is read and checked before any module is imported."""

    kind: str  # "module" or "ob"
    source: object  # the module's target, or the OB's parsed JSON
    origin: str | None = None  # the file an OB came from

    @classmethod
    def of(cls, kind, source, origin=None):
        if kind == "module":
            return cls(kind, source)
        try:
            data, path = obs_module.read_ob(source)
        except ValueError as exc:
            raise LoadError(str(exc)) from exc
        return cls(kind, data, path or origin)

    @property
    def description(self) -> str:
        return self.source if self.kind == "module" else f"OB {obs_module.ob_name(self.source)!r}"


def _targets(planned) -> list[str]:
    """The modules the planned scripts and OBs need, in order."""
    return [name for plan in planned for name in (
        [plan.source] if plan.kind == "module" else [entry["templateName"] for entry in plan.source["templates"]])]


class _Loading(NamedTuple):
    what: str
    importing: ThreadedImport


def _listed(nodes) -> str:
    return ", ".join(f"({node.sn}) {node.name}" for node in nodes)


_FLAGS = {"pause": RTFLAG.PAUSE, "skip": RTFLAG.SKIP}


class Engine:
    """Loaded scripts and their execution. Build it with :meth:`Engine.open`."""

    def __init__(self, publish, nursery, loop, *, task_logs=True):
        self._publish = publish or (lambda record: None)
        self._nursery = nursery
        self._loop = loop
        self._task_logs = task_logs
        self._status = "idle"
        self._changed = trio.Event()
        self._run = None
        self._failed = None
        self._after_run = []
        self.last_error = None
        self._answered = {}  # dialog node -> "perform" or "stop", in the current run
        self._loading = None  # the load in progress (begin_load)
        self._new_root()

    @classmethod
    @contextlib.asynccontextmanager
    async def open(cls, publish=None, *, task_logs=True, log_level="INFO"):
        """Open an engine; on exit a running script is cancelled."""
        async with open_asyncio_loop() as loop:
            async with trio.open_nursery() as nursery:
                engine = cls(publish, nursery, loop, task_logs=task_logs)
                root_logger = logging.getLogger()
                handler = PublishingHandler(engine._publish, trio.lowlevel.current_trio_token(), log_level)
                previous_level = root_logger.level
                if root_logger.getEffectiveLevel() > handler.level:
                    root_logger.setLevel(handler.level)
                root_logger.addHandler(handler)
                try:
                    yield engine
                finally:
                    root_logger.removeHandler(handler)
                    root_logger.setLevel(previous_level)
                    nursery.cancel_scope.cancel()

    # -- what is loaded ---------------------------------------------------------

    def _new_root(self):
        self._numbering = Numbering()
        token = use_numbering(self._numbering)
        try:
            self.root = ScriptRoot(name="_seq_ROOT_")
        finally:
            restore_numbering(token)
        self._scripts = []  # (module name or None, node) in load order
        self._obs = []

    def _attach(self, build, what: str):
        """Build a node with the engine's serial numbers and add it to the root.

        Every node of it gets a serial number of this engine, whenever it was built (nodes
        built when a module was imported have the process's numbers until now); a node object
        that already has a place in the tree is copied (``Node.adopt``). Ids must be unique
        in each script (manual 5.4).
        """
        token = use_numbering(self._numbering)
        try:
            node = self.root.add(build()).children[-1]
            self.root.add_endpoints()
            for below in node.walk():
                if below.numbering is not self._numbering:
                    self._numbering.assign(below)
            for script in node.templates if isinstance(node, obs_module.OB) else [node]:
                _check_unique_ids(script, what)
        except EngineError:
            raise
        except BaseException as exc:
            if isinstance(exc, (KeyboardInterrupt, trio.Cancelled)):
                raise
            raise LoadError(f"cannot create {what}: {describe_exception(exc)}", traceback.format_exc()) from exc
        finally:
            restore_numbering(token)
        return node

    def load(self, target: str):
        """Load a script by dotted module name or ``.py`` path; returns its top node."""
        return self.load_all([("module", target)])[0]

    def load_ob(self, source, origin=None):
        """Load an OB from a JSON file path, JSON text or a parsed dict; returns the OB node.
        ``origin`` names the file a parsed OB came from (``lsob`` shows it)."""
        return self.load_all([("ob", source, origin)])[0]

    def load_all(self, sources) -> list:
        """Load scripts ``("module", target)`` and OBs ``("ob", source[, origin])`` in order:
        all of them, or (a LoadError) none; one ``tree`` event for them all.
        The modules are imported in the calling thread (see :meth:`begin_load`)."""
        self._check_idle("load")
        planned = [_Planned.of(*source) for source in sources]
        return self._attach_all(planned, import_all(_targets(planned)))

    def begin_load(self, sources) -> Awaitable[list]:
        """Begin what :meth:`load_all` does, and return the awaitable that finishes it.

        The modules are imported in a worker thread, so the event loop goes on serving
        while a module takes long (or forever) to import. From the moment this returns
        until the load is finished, commands that would change or run the tree are
        refused, and :meth:`abort` abandons the import: the awaitable then raises
        LoadError, and nothing of this load is attached.
        """
        self._check_idle("load")
        planned = [_Planned.of(*source) for source in sources]
        importing = ThreadedImport(_targets(planned))
        self._loading = _Loading(", ".join(plan.description for plan in planned), importing)
        return self._finish_load(planned, importing)

    async def _finish_load(self, planned, importing) -> list:
        try:
            modules = await importing.run()
        finally:
            self._loading = None
        return self._attach_all(planned, modules)

    @property
    def loading(self) -> str | None:
        """What a load in progress (:meth:`begin_load`) is loading, or None."""
        return self._loading.what if self._loading is not None else None

    def _attach_all(self, planned, modules: dict) -> list:
        """Attach the planned scripts and OBs, built from the imported ``modules``: all of them or none."""
        kept = len(self._scripts), len(self._obs), len(self.root.children)
        try:
            nodes = [self._attach_one(plan, modules) for plan in planned]
        except EngineError:
            del self._scripts[kept[0]:], self._obs[kept[1]:], self.root.children[kept[2]:]
            raise
        self._publish_tree("loaded")
        return nodes

    def _attach_one(self, plan, modules: dict):
        if plan.kind == "module":
            module = modules[plan.source]
            node = self._attach(lambda: seq_factory(module), f"the script of {plan.source}")
            self._scripts.append((module.__name__, node))
            return node
        node = self._attach(lambda: obs_module.build_ob(plan.source, modules.__getitem__, plan.origin),
                            plan.description)
        self._scripts.append((None, node))
        self._obs.append(node)
        return node

    def loaded(self) -> list:
        """What is loaded, in load order: ``(module name, top node)`` pairs, module None for an OB."""
        return list(self._scripts)

    def modules(self) -> list[str]:
        """The modules of the loaded scripts and of the loaded OBs' templates, each once, in load order."""
        names = []
        for name, node in self._scripts:
            names += [name] if name is not None else [template.module.__name__ for template in node.templates]
        return list(dict.fromkeys(names))

    def obs(self) -> list[dict]:
        return [
            {
                "index": index,
                "sn": node.sn,
                "name": node.name,
                "source": node.source,
                "templates": [template.description for template in node.templates],
            }
            for index, node in enumerate(self._obs)
        ]

    def snapshot(self) -> dict:
        """Status, loaded modules and OBs, and the tree, each node once: the ``scripts``, and the
        ``root`` holding only its begin and end."""
        root = node_dict(self.root)
        endpoints = {node.sn for node in (self.root.begin, self.root.end) if node is not None}
        scripts = [child for child in root["children"] if child["sn"] not in endpoints]
        root["children"] = [child for child in root["children"] if child["sn"] in endpoints]
        return {
            "status": self._status,
            "modules": self.modules(),
            "obs": self.obs(),
            "root": root,
            "scripts": scripts,
            "dialogs": self.open_dialogs(),
        }

    def open_dialogs(self) -> list[dict]:
        """The dialogs waiting for an answer: the fields of their ``dialog`` request events."""
        if self._run is None:
            return []
        return [{k: v for k, v in request.items() if k not in ("kind", "action")}
                for request in self._run.asking.values()]

    def find(self, ref):
        """The node with serial number ``ref`` (an int or digits), or else the one node named ``ref``."""
        matches = self.find_all(ref)
        if len(matches) > 1:
            raise NotAllowed(f"{len(matches)} nodes are named {ref!r}: {_listed(matches)}; give a serial number")
        return matches[0]

    def find_all(self, ref) -> list:
        """The node with serial number ``ref`` (an int or digits), or every node named ``ref``."""
        if isinstance(ref, str) and ref.strip().isdigit():
            ref = int(ref)
        if isinstance(ref, int):
            for node in self.root.walk():
                if node.sn == ref:
                    return [node]
            raise NodeNotFound(f"no node with serial number {ref}")
        matches = [node for node in self.root.walk() if node.name == ref and node is not self.root]
        if not matches:
            raise NodeNotFound(f"no node named {ref!r}")
        return matches

    # -- flags ----------------------------------------------------------------------

    def set_flag(self, ref, flag, value=None) -> list:
        """Set (True), clear (False) or flip (None) the ``pause`` or ``skip`` flag of the node with
        serial number ``ref``, or of every node named ``ref``; returns the nodes."""
        bit = flag if isinstance(flag, RTFLAG) else _FLAGS.get(str(flag).lower())
        if bit is None:
            raise ValueError(f"unknown flag {flag!r}: use pause or skip")
        nodes = self.find_all(ref)
        for node in nodes:
            on = not (node.flags & bit) if value is None else bool(value)
            node.flags = RTFLAG(node.flags | bit) if on else RTFLAG(node.flags & ~bit)
            self._publish(state_record(node))
            if self._run is not None and node.state is State.PAUSED and not node.flags & RTFLAG.PAUSE:
                self._run.release(node)  # un-pausing a paused node resumes it (manual 4.2)
        return nodes

    # -- execution ----------------------------------------------------------------

    @property
    def status(self) -> str:
        """``idle``, ``running``, ``paused``, ``finished``, ``error`` or ``aborted``."""
        return self._status

    @property
    def busy(self) -> bool:
        return self._run is not None

    def _check_idle(self, what):
        self._check_not_loading(what)
        if self._run is not None:
            raise EngineBusy(f"cannot {what} while a script is running (abort it first)")

    def _check_not_loading(self, what):
        if self._loading is not None:
            raise EngineBusy(f"cannot {what}: a load of {self._loading.what} is in progress (abort stops it)")

    def run(self):
        """Start all loaded scripts from the start; returns once started."""
        self._check_idle("start a run")
        if not self.root.children:
            raise NotAllowed("nothing to run: load a script or an OB first")
        self._failed = None
        schedule(self.root, FRESH, self._publish)
        self._start(FRESH)

    def retry(self, sn=None):
        """Re-run the failed node and, when it succeeds, everything that has not finished."""
        self._check_idle("retry")
        node = self._failed if sn is None else self.find(sn)
        if node is None or node.state is not State.FINISHED_ERROR:
            which = "no node" if sn is None else f"node {sn}"
            raise NotAllowed(f"{which} has failed: nothing to retry")
        schedule(self.root, RETRY, self._publish, retry_node=node)
        self._start(RETRY)

    def cont(self):
        """Resume: release paused nodes, or after an error or abort run every unfinished node."""
        self._check_not_loading("continue")
        if self._run is not None:
            paused = [node for node in self._run.waiting if node.state is State.PAUSED]
            if not paused:
                dialogs = ", ".join(f"({node.sn}) {node.name}" for node in self._run.waiting)
                raise EngineBusy(f"a dialog waits for an answer: {dialogs}" if dialogs else "already running")
            for node in paused:
                self._run.release(node)
            return
        if self._status not in ("error", "aborted"):
            last = "has not started" if self._status == "idle" else f"has {self._status}"
            raise NotAllowed(f"nothing to continue: the last run {last}")
        schedule(self.root, CONTINUE, self._publish)
        self._start(CONTINUE)

    def resume(self, sn):
        """Resume execution at the paused node ``sn``."""
        node = self.find(sn)
        if self._run is None or node.state is not State.PAUSED or not self._run.release(node):
            raise NotAllowed(f"node {node.sn} ({node.name}) is not paused")

    def abort(self):
        """Cancel the running script (running nodes become CANCELLED; ``continue`` resumes),
        or abandon the load in progress."""
        if self._loading is not None:
            self._loading.importing.abandon()
            return
        if self._run is None:
            raise NotAllowed("nothing is running")
        self._run.abort()

    def reset(self):
        """Return every node to NOT_STARTED (a running script is aborted first)."""
        self._check_not_loading("reset")
        self._defer_while_running(self._reset)

    def clear(self):
        """Unload every script and OB (a running script is aborted first)."""
        self._check_not_loading("clear")
        self._defer_while_running(self._clear)

    def answer_dialog(self, sn, perform: bool):
        """Answer an open BasicDialog: perform its extra step, or stop the sequence."""
        node = self.find(sn)
        if self._run is not None and self._run.answer(node, bool(perform)):
            self._answered[node] = "perform" if perform else "stop"
            return
        if node in self._answered:
            raise NotAllowed(f"dialog ({node.sn}) {node.name} was already answered: {self._answered[node]}")
        raise NotAllowed(f"node {node.sn} ({node.name}) has no open dialog")

    def variables(self) -> list[dict]:
        return obs_module.variables(self._obs)

    def set_variable(self, ob: int, template: int, name: str, value):
        return obs_module.set_variable(self._obs, int(ob), int(template), name, value)

    async def wait(self, timeout: float | None = None) -> str:
        """Wait until execution is not running; returns the status, or ``"timeout"``."""
        with trio.move_on_after(math.inf if timeout is None else timeout):
            while self._status == "running" or (self._run is not None and self._run.scope.cancel_called):
                await self._changed.wait()  # (a run being cancelled is still running until it has unwound)
            return self._status
        return "timeout"

    # -- internals ------------------------------------------------------------------

    def _defer_while_running(self, action):
        if self._run is None:
            action()
        else:
            self._after_run.append(action)
            self._run.abort()

    def _reset(self):
        for node in self.root.walk():
            node.state = State.NOT_STARTED
            node.result = None
            node.restart()
        self._failed = None
        self._answered = {}
        self._set_status("idle", publish=False)
        self._publish_tree("reset")

    def _clear(self):
        self._new_root()
        self._failed = None
        self._set_status("idle", publish=False)
        self._publish_tree("cleared")

    def _publish_tree(self, action):
        self._publish({"kind": "tree", "ts": time.time(), "action": action, "snapshot": self.snapshot()})

    def _set_status(self, status, publish=True):
        self._status = status
        if publish:
            self._publish({"kind": "run", "ts": time.time(), "status": status})
        self._changed.set()
        self._changed = trio.Event()

    def _on_blocked(self, blocked):
        self._set_status("paused" if blocked else "running")

    def _start(self, mode):
        self._answered = {}
        run = Run(self._loop, self._publish, mode=mode, task_logs=self._task_logs, on_blocked=self._on_blocked)
        self._run = run
        self._set_status("running")
        self._nursery.start_soon(self._execute, run)

    async def _execute(self, run):
        try:
            outcome = await run.execute_top(self.root)
        except Exception:  # a defect of the engine itself: reported, and the engine keeps serving
            lib_logger().exception("the engine failed while running")
            outcome = "error"
        self._failed = run.failed
        self.last_error = run.error or self.last_error
        self._run = None
        after, self._after_run = self._after_run, []
        self._set_status(outcome)
        for action in after:
            action()
