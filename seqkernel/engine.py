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
from collections.abc import Awaitable
from typing import NamedTuple

import trio

from . import ob as obs_module
from . import queue
from .exceptions import EngineBusy, EngineError, LoadError, NodeNotFound, NotAllowed
from .execution import CONTINUE, FRESH, RETRY, Run, schedule
from .host import open_asyncio_loop
from .loading import ThreadedImport, import_all
from .log import PublishingHandler, lib_logger
from .queue import LAST, Place, ScriptRoot
from .records import state_record
from .states import RTFLAG, State
from .tree import node_dict
from .work import Planned, Work, targets

__all__ = ["Engine", "EngineBusy", "EngineError", "LoadError", "NodeNotFound", "NotAllowed", "Place", "ScriptRoot"]


class _Loading(NamedTuple):
    what: str
    importing: ThreadedImport


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
        self._work = Work()

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

    @property
    def root(self) -> ScriptRoot:
        return self._work.root

    def load(self, target: str):
        """Load a script by dotted module name or ``.py`` path; returns its top node."""
        return self.load_all([("module", target)])[0]

    def load_ob(self, source, origin=None):
        """Load an OB from a JSON file path, JSON text or a parsed dict; returns the OB node.
        ``origin`` names the file a parsed OB came from (``lsob`` shows it)."""
        return self.load_all([("ob", source, origin)])[0]

    def load_all(self, sources, place: Place | None = None) -> list:
        """Load scripts ``("module", target)`` and OBs ``("ob", source[, origin])`` in order:
        all of them, or (a LoadError) none; one ``tree`` event for them all.
        The modules are imported in the calling thread (see :meth:`begin_load`)."""
        planned = self._plan(sources, place)
        return self._attach_all(planned, import_all(targets(planned)), place)

    def begin_load(self, sources, place: Place | None = None) -> Awaitable[list]:
        """Begin what :meth:`load_all` does, and return the awaitable that finishes it.

        The modules are imported in a worker thread, so the event loop goes on serving
        while a module takes long (or forever) to import. From the moment this returns
        until the load is finished, commands that would change or run the tree are
        refused, and :meth:`abort` abandons the import: the awaitable then raises
        LoadError, and nothing of this load is attached.

        The scripts and OBs go where ``place`` says (default: the end of the queue), which
        may be during a run: they then run in it. The ``tree`` event is ``loaded`` (the whole
        snapshot) for a load without a place while nothing runs, else ``inserted``.
        """
        planned = self._plan(sources, place)
        return self._importing(planned, lambda modules: self._attach_all(planned, modules, place))

    def _plan(self, sources, place: Place | None) -> list:
        self._check_not_loading("load")
        queue.placed(self.root, self.root.children, [], place or LAST, self.find, self.busy)  # (again once imported)
        return [Planned.of(*source) for source in sources]

    def _importing(self, planned, then) -> Awaitable:
        """Import the modules of ``planned`` in a worker thread (the load in progress), then ``then(modules)``."""
        importing = ThreadedImport(targets(planned))
        self._loading = _Loading(", ".join(plan.description for plan in planned), importing)
        return self._finish_import(importing, then)

    async def _finish_import(self, importing, then):
        try:
            modules = await importing.run()
        finally:
            self._loading = None
        return then(modules)

    @property
    def loading(self) -> str | None:
        """What a load in progress (:meth:`begin_load`) is loading, or None."""
        return self._loading.what if self._loading is not None else None

    def _attach_all(self, planned, modules: dict, place: Place | None) -> list:
        """Attach the planned scripts and OBs, built from the imported ``modules``, where ``place`` says."""
        nodes = self._attach(lambda: [self._work.build(plan, modules) for plan in planned],
                             lambda items, new: queue.placed(self.root, items, new, place or LAST, self.find, self.busy))
        if place is None and self._run is None:
            self._publish_tree("loaded")
        else:
            self._publish_inserted(self.root, nodes)
        return nodes

    def _attach(self, build, arrange) -> list:
        """:meth:`Work.attach`; what is attached during a run runs in it, when its turn comes."""
        nodes = self._work.attach(build, arrange)
        if self._run is not None:
            for node in nodes:
                schedule(node, FRESH, self._publish)
        return nodes

    def loaded(self) -> list:
        """What is loaded, in the queue's order: ``(module name, top node)`` pairs, module None for an OB."""
        return self._work.loaded()

    def modules(self) -> list[str]:
        """The modules of the loaded scripts and of the loaded OBs' templates, each once, in the order they were
        first loaded."""
        return self._work.modules()

    def obs(self) -> list[dict]:
        return self._work.obs()

    def find(self, ref):
        """The node with serial number ``ref`` (an int or digits), or else the one node named ``ref``."""
        return self._work.find(ref)

    def find_all(self, ref) -> list:
        """The node with serial number ``ref`` (an int or digits), or every node named ``ref``."""
        return self._work.find_all(ref)

    def snapshot(self) -> dict:
        """Status, loaded modules and OBs, the tree, each node once (the ``scripts``, and the ``root``
        holding only its begin and end), open dialogs, and whether the queue is held."""
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
            "held": self.root.held,
        }

    def open_dialogs(self) -> list[dict]:
        """The dialogs waiting for an answer: the fields of their ``dialog`` request events."""
        if self._run is None:
            return []
        return [{k: v for k, v in request.items() if k not in ("kind", "action")}
                for request in self._run.asking.values()]

    # -- the queue: edits (see seqkernel.queue) -----------------------------------------

    def move(self, sn, place: Place):
        """Move a script or OB of the queue, or a template within its OB; returns the node."""
        self._check_not_loading("move")
        node = self.find(sn)
        container = queue.container_of(node, self.root)
        queue.check_pending(node, "move", self.busy)
        others = [child for child in container.children if child is not node]
        queue.arrange(container, queue.placed(container, others, [node], place, self.find, self.busy))
        self._publish_edit("moved", [container], sn=node.sn, parent=container.sn,
                           index=queue.snapshot_index(container, node))
        return node

    def remove(self, sns) -> list:
        """Remove scripts, OBs or templates: all of them, or (refused) none; returns the nodes removed."""
        self._check_not_loading("remove")
        nodes = list({id(node): node for node in map(self.find, sns)}.values())
        orders = {}
        for node in nodes:
            container = queue.container_of(node, self.root)
            queue.check_pending(node, "remove", self.busy)
            order = orders.setdefault(container, list(container.children))
            order[:] = [child for child in order if child is not node]
        orders = {container: order for container, order in orders.items() if container not in nodes}
        for container, order in orders.items():
            if isinstance(container, obs_module.OB) and not order:
                raise NotAllowed(f"OB {queue.describe(container)} would have no template left: remove the OB instead")
        for container, order in orders.items():
            queue.arrange(container, order)
        removed = [node for node in nodes if node.parent not in nodes]
        for node in removed:
            self._forget(node)
        self._publish_edit("removed", list(orders), sns=[node.sn for node in removed])
        return removed

    def _forget(self, top):
        if any(node is self._failed for node in top.walk()):
            self._failed = None  # (nothing left to retry)
        self._work.forget(top)

    def requeue(self, sn, place: Place = LAST):
        """A fresh copy of a script, OB or template: built again as it was loaded (the same module, not
        imported again; an OB's or template's variables at their current values), placed like a move.
        Returns the copy."""
        self._check_not_loading("requeue")
        original = self.find(sn)
        container = queue.container_of(original, self.root)
        if container is not self.root:
            return self._requeue_template(container, original, place)
        plan, modules = self._work.plan_again(original)
        return self._attach_all([plan], modules, place)[0]

    def _requeue_template(self, ob, template, place: Place):
        queue.placed(ob, ob.children, [], place, self.find, self.busy)  # (a refused place builds nothing)
        what = f"a copy of {queue.describe(template)}"
        with self._work.numbered(what):
            again = ob.template_again(template)
            again.add_endpoints()
            self._work.own_numbers(again, what)
        queue.arrange(ob, queue.placed(ob, ob.children, [again], place, self.find, self.busy))
        self._work.index([again])
        if self._run is not None:
            schedule(again, FRESH, self._publish)
        self._publish_inserted(ob, [again])
        return again

    def begin_replace(self, sn, source) -> Awaitable:
        """Begin replacing a script or OB of the queue by another (``("module", target)`` or ``("ob", source)``),
        in its place; the awaitable finishes it (the module is imported first) and gives the new node."""
        self._replaceable(sn)
        planned = [Planned.of(*source)]
        return self._importing(planned, lambda modules: self._replace(sn, planned[0], modules))

    def _replaceable(self, sn):
        self._check_not_loading("replace")
        old = self.find(sn)
        if queue.container_of(old, self.root) is not self.root:
            raise NotAllowed(f"{queue.describe(old)} is a template: replace takes a script or OB of the queue")
        queue.check_pending(old, "replace", self.busy)
        return old

    def _replace(self, sn, plan, modules):
        old = self._replaceable(sn)  # (again: the run went on while the module was imported)
        new = self._attach(lambda: [self._work.build(plan, modules)],
                           lambda items, nodes: [nodes[0] if item is old else item for item in items])[0]
        self._forget(old)
        self._publish_edit("replaced", [new], sn=old.sn, nodes=[node_dict(new)])
        return new

    def history(self) -> list[dict]:
        """The items that ran, oldest first (see :mod:`seqkernel.history`)."""
        return self.root.history.entries()

    def hold(self):
        """Hold the queue: the run waits before its next item (the item in progress goes on)."""
        self.root.held = True
        self._publish_edit("held", held=True)

    def release(self):
        """Release the queue's hold: the run goes on with its next item."""
        if not self.root.held:
            raise NotAllowed("the queue is not held (pause without a serial number holds it)")
        self.root.held = False
        if self._run is not None:
            self._run.release(self.root)
        self._publish_edit("held", held=False)

    def _publish_inserted(self, container, nodes):
        self._publish_edit("inserted", [container, *nodes], parent=container.sn,
                           index=queue.snapshot_index(container, nodes[0]), nodes=[node_dict(node) for node in nodes])

    def _publish_edit(self, action, changed=(), **fields):
        """A ``tree`` event saying what an edit changed (protocol/README.md, section 5): with the ``obs``
        entries of the OBs among ``changed`` (new ones, or whose templates changed) and the modules
        when they may have changed."""
        if action != "held":
            fields["obs"] = self._work.obs(changed)
        if action not in ("held", "moved"):  # (a move changes no module)
            fields["modules"] = self.modules()
        self._publish({"kind": "tree", "ts": time.time(), "action": action, **fields})

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
        """Resume: release paused nodes (and the queue's hold), or after an error or abort run every
        unfinished node."""
        self._check_not_loading("continue")
        if self._run is not None:
            paused = [node for node in self._run.waiting if node.state is State.PAUSED]
            held = self.root in self._run.waiting
            if not paused and not held:
                dialogs = ", ".join(f"({node.sn}) {node.name}" for node in self._run.waiting)
                raise EngineBusy(f"a dialog waits for an answer: {dialogs}" if dialogs else "already running")
            for node in paused:
                self._run.release(node)
            if held:
                self.release()
            return
        if self._status not in ("error", "aborted"):
            last = "has not started" if self._status == "idle" else f"has {self._status}"
            raise NotAllowed(f"nothing to continue: the last run {last}")
        schedule(self.root, CONTINUE, self._publish)
        self._start(CONTINUE)

    def resume(self, sn=None):
        """Resume execution at the paused node ``sn``; without one, release the queue's hold."""
        if sn is None:
            self.release()
            return
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
        return obs_module.variables(self._work.ob_nodes())

    def set_variable(self, ob: int, template: int, name: str, value):
        return obs_module.set_variable(self._work.ob_nodes(), int(ob), int(template), name, value)

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
        self._work = Work()
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
