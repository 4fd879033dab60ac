"""What is loaded: the queue's root, the serial numbers of its nodes, and each script's module.

:class:`Work` attaches what a load or an edit builds, all of it or (the build or
its placing raised) none, with serial numbers given back on failure, so a fresh
kernel given the same successful commands numbers every node alike (crash
recovery replays them). It keeps an index of the nodes by serial number, and
says what is loaded as the snapshot and ``lsob`` show it.
"""
from __future__ import annotations

import collections
import contextlib
import traceback
from typing import NamedTuple

import trio

from . import ob as obs_module
from .errors import describe_exception
from .exceptions import EngineError, LoadError, NodeNotFound, NotAllowed
from .nodes import seq_factory
from .queue import ScriptRoot
from .serials import Numbering, restore_numbering, use_numbering


def _check_unique_ids(script, what: str):
    """Refuse (LoadError) a script in which two nodes have one id, naming both."""
    seen = {}
    for node in script.walk():
        other = seen.setdefault(node.id, node)
        if other is not node:
            raise LoadError(f"cannot load {what}: id {node.id!r} is given to two nodes, ({other.sn}) {other.name} "
                            f"and ({node.sn}) {node.name}; ids must be unique in a script (manual 5.4)")


class Planned(NamedTuple):
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


def targets(planned) -> list[str]:
    """The modules the planned scripts and OBs need, in order."""
    return [name for plan in planned for name in (
        [plan.source] if plan.kind == "module" else [entry["templateName"] for entry in plan.source["templates"]])]


def _listed(nodes) -> str:
    return ", ".join(f"({node.sn}) {node.name}" for node in nodes)


class Work:
    """The loaded scripts and OBs under one root, in the queue's order."""

    def __init__(self) -> None:
        self.numbering = Numbering()
        token = use_numbering(self.numbering)
        try:
            self.root = ScriptRoot(name="_seq_ROOT_")
        finally:
            restore_numbering(token)
        self._module_of = {}  # a loaded script -> its module (an OB loaded as such has none)
        self._uses = collections.Counter()  # module name -> scripts and templates using it, in first-use order
        self._by_sn = {self.root.sn: self.root}

    def _attach_built(self, build, what: str):
        """Build a node with this work's serial numbers and add it to the root.

        Every node of it gets a serial number of this engine, whenever it was built (nodes
        built when a module was imported have the process's numbers until now); a node object
        that already has a place in the tree is copied (``Node.adopt``). Ids must be unique
        in each script (manual 5.4).
        """
        with self.numbered(what):
            node = self.root.add(build()).children[-1]
            self.root.add_endpoints()
            self.own_numbers(node, what)
        return node

    def own_numbers(self, node, what: str):
        """Number what of ``node`` was built outside (at its module's import), and check its ids."""
        for below in node.walk():
            if below.numbering is not self.numbering:
                self.numbering.assign(below)
        for script in node.templates if isinstance(node, obs_module.OB) else [node]:
            _check_unique_ids(script, what)

    @contextlib.contextmanager
    def numbered(self, what: str):
        """Nodes built inside take this work's serial numbers, given back if the building fails;
        what the building raises is a LoadError."""
        token, mark = use_numbering(self.numbering), self.numbering.next
        try:
            yield
        except BaseException as exc:
            self.numbering.rewind(mark)
            if isinstance(exc, (EngineError, KeyboardInterrupt, trio.Cancelled)):
                raise
            raise LoadError(f"cannot create {what}: {describe_exception(exc)}", traceback.format_exc()) from exc
        finally:
            restore_numbering(token)

    def attach(self, build, arrange) -> list:
        """Attach the nodes ``build()`` attaches at the end of the queue, then give the queue the order
        ``arrange(items before, new nodes)`` returns: all of them or, when either raises, none (their
        serial numbers are handed out again)."""
        items, modules = list(self.root.children), dict(self._module_of)  # (what is indexed is only added once done)
        mark, endpoints = self.numbering.next, (self.root.begin, self.root.end)
        try:
            nodes = build()
            self.root.children = arrange(items, nodes)
        except EngineError:
            self.root.children, self._module_of = items, modules
            self.root.begin, self.root.end = endpoints
            self.numbering.rewind(mark)
            raise
        self.index([*nodes, *(node for node in (self.root.begin, self.root.end) if node not in endpoints)])
        return nodes

    def build(self, plan, modules: dict):
        """Attach one planned script or OB at the end of the queue, built from the imported ``modules``."""
        if plan.kind == "module":
            module = modules[plan.source]
            node = self._attach_built(lambda: seq_factory(module), f"the script of {plan.source}")
            self._module_of[node] = module
            return node
        return self._attach_built(lambda: obs_module.build_ob(plan.source, modules.__getitem__, plan.origin),
                                  plan.description)

    def plan_again(self, item) -> tuple[Planned, dict]:
        """What :meth:`build` takes to build a fresh copy of a loaded script or OB: the same module (not
        imported again), or the OB as it stands (its variables' current values)."""
        if item in self._module_of:
            module = self._module_of[item]
            return Planned("module", module.__name__), {module.__name__: module}
        modules = {template.description: template.module for template in item.templates}
        return Planned.of("ob", item.current_data(), item.source), modules

    def index(self, tops):
        """Find these nodes, and all below them, by their serial numbers from now on (and count the
        modules they use)."""
        for top in tops:
            for node in top.walk():
                self._by_sn[node.sn] = node
            self._uses.update(self._modules_of(top))

    def forget(self, top):
        """A node removed from the tree: its serial numbers are gone (never given again), and its module."""
        self._uses.subtract(self._modules_of(top))
        for name in [name for name, count in self._uses.items() if count <= 0]:
            del self._uses[name]
        for node in top.walk():
            self._by_sn.pop(node.sn, None)
        self._module_of.pop(top, None)
        top.parent = None

    def _modules_of(self, top) -> list[str]:
        """The modules a script, a loaded OB or one of its templates uses."""
        if top in self._module_of:
            return [self._module_of[top].__name__]
        if isinstance(top, obs_module.OB) and top.parent is self.root:
            return [template.module.__name__ for template in top.templates]
        if isinstance(top.parent, obs_module.OB) and top.parent.parent is self.root and top.parent not in self._module_of:
            return [top.module.__name__]
        return []

    def loaded(self) -> list:
        """What is loaded, in the queue's order: ``(module name, top node)`` pairs, module None for an OB."""
        return [(self._module_name(node), node) for node in self.root.children]

    def _module_name(self, node) -> str | None:
        module = self._module_of.get(node)
        return module.__name__ if module is not None else None

    def ob_nodes(self) -> list:
        """The OBs loaded as such (not scripts), in the queue's order."""
        return [node for node in self.root.children if node not in self._module_of]

    def modules(self) -> list[str]:
        """The modules of the loaded scripts and of the loaded OBs' templates, each once, in the order they were
        first loaded (the queue's order at the time)."""
        return list(self._uses)

    def obs(self, nodes=None) -> list[dict]:
        """The snapshot's ``obs`` entries: of every loaded OB, or of those of ``nodes`` that are loaded OBs."""
        obs = self.ob_nodes()
        return [obs_module.ob_entry(node, index) for index, node in enumerate(obs)
                if nodes is None or any(node is other for other in nodes)]

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
            if ref not in self._by_sn:
                raise NodeNotFound(f"no node with serial number {ref}")
            return [self._by_sn[ref]]
        matches = [node for node in self.root.walk() if node.name == ref and node is not self.root]
        if not matches:
            raise NodeNotFound(f"no node named {ref!r}")
        return matches

