"""The node types of a sequencer script (manual 5.9) and the helpers scripts use.

A script is a tree of nodes: ``Action`` / ``ActionInThread`` leaves call one
step each; containers (``Sequence``, ``Parallel``, ``Loop``, ``Template``) hold
children and get a begin and an end node, as in the manual's figures. How nodes
execute is in :mod:`seqkernel.execution`; each node class only says what its
own body does.
"""
from __future__ import annotations

import copy
import functools
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from types import ModuleType
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, Self, TypeAlias, TypeVar, overload

import trio

from . import context, host
from .serials import Numbering, new_id, number
from .states import RTFLAG, State
from .steps import Step, StepCaller, call_asyncio, call_step, call_step_in_thread, caller, describe

if TYPE_CHECKING:
    from .execution import Run

#: What a container takes as a child: a node, or a step (a coroutine function or a plain function,
#: called with no arguments), which becomes an ``Action``.
Child: TypeAlias = "Node | Step"
_T = TypeVar("_T")
_N = TypeVar("_N", bound="Node")


def _first_line(doc: str | None) -> str:
    if not doc:
        return ""
    for line in doc.strip().splitlines():
        if line.strip():
            return line.strip()
    return ""


class _Fields:
    """What every node has: id, name, serial number, state, runtime flags, result.

    Kept apart from :class:`Node` so that type checkers read ``Node(...)`` through
    ``Node.__new__``, which knows that ``Node(fn)`` is an Action.
    """

    __slots__ = ("id", "name", "sn", "numbering", "state", "flags", "result", "description", "parent", "_ctx",
                 "_id_given", "__dict__")
    sn: int
    numbering: Numbering
    #: What the node's step returned (a container's stays None).
    result: Any

    def __init__(self, *, id: str | None = None, name: str | None = None, description: str | None = None) -> None:
        for what, given in (("name", name), ("id", id)):
            if given is not None and not isinstance(given, str):
                raise TypeError(f"a node's {what} must be a string, not {type(given).__name__} {given!r}")
        number(self)
        self.name = name or type(self).__name__
        self._id_given = bool(id)
        self.id = id or new_id(self.name)
        self.state = State.NOT_STARTED
        self.flags = RTFLAG.NONE
        self.result = None
        self.description = description or ""
        self.parent: Node | None = None
        self._ctx: dict[str, Any] | None = None


class Node(_Fields):
    """A node of a script; ``Node(fn, name=...)`` is the manual's way (5.9) of building an Action."""

    type_code: ClassVar[str] = "A"
    #: Does work of its own when it runs (a container, or a container's begin or end, does not):
    #: what a report of the steps running names.
    is_step: ClassVar[bool] = True
    #: How a leaf's step is called (``call(fn, loop)``); None for nodes whose ``_body`` does the work.
    call: StepCaller | None = None
    asyncio_only = False
    __slots__ = ()

    @overload
    def __new__(cls, fn: Step, /, *, id: str | None = None, name: str | None = None,
                description: str | None = None) -> Action: ...

    @overload
    def __new__(cls, *, id: str | None = None, name: str | None = None, description: str | None = None) -> Self: ...

    def __new__(cls, *args: Any, **kw: Any) -> Node:
        return object.__new__(Action if cls is Node and args else cls)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} ({self.sn}) {self.name} {self.state.value}>"

    @property
    def subnodes(self) -> tuple[Node, ...]:
        """Every node directly below this one, in display order (begin first, end last)."""
        return ()

    def walk(self) -> Iterator[Node]:
        """This node and all nodes below it, depth first, in display order."""
        stack: list[Node] = [self]
        while stack:
            node = stack.pop()
            yield node
            below = node.subnodes
            if below:
                stack.extend(reversed(below))

    def add_endpoints(self) -> None:
        """Give containers their begin and end nodes (numbered depth first, as the manual shows)."""
        for child in self.subnodes:
            child.add_endpoints()

    @property
    def context(self) -> dict[str, Any]:
        """The dictionary shared by every node of the script this node belongs to."""
        top: Node = self
        while top.parent is not None and not getattr(top.parent, "is_engine_root", False):
            top = top.parent
        if top._ctx is None:
            top._ctx = {}
        return top._ctx

    def restart(self) -> None:
        """Forget progress kept between runs (a loop's iteration); called before the node runs anew."""

    def copy(self) -> Self:
        """This node and everything below it anew, for a second place in a tree: serial numbers and
        generated ids of their own, not started, no result; runtime flags and given ids kept."""
        twin = copy.copy(self)
        number(twin)
        if not twin._id_given:
            twin.id = new_id(twin.name)
        twin.parent = None
        twin.state = State.NOT_STARTED
        twin.result = None
        twin._ctx = None
        twin._copy_below()
        return twin

    def _copy_below(self) -> None:
        """Replace, in a fresh copy, what is below this node by copies of its own."""

    def adopt(self, item: Child) -> Node:
        """``item`` (a node, or a function made an Action) as a child of this node: a node that
        already has a place in a tree is copied, so that each place is a node of its own."""
        child = as_node(item)
        if child.parent is not None:
            child = child.copy()
        child.parent = self
        return child

    async def start(self) -> None:
        """Run this node's tree in process, from trio or asyncio code (``asyncio.run``, a Jupyter
        cell); raises the exception of a failed step."""
        from .execution import run_tree

        if trio.lowlevel.in_trio_task():
            await run_tree(self)
        else:
            await host.run_as_guest(run_tree, self)

    async def _body(self, run: Run) -> None:
        pass


class _Endpoint(Node):
    """The begin or end node of a container: it only marks where the container starts or ends."""

    is_step = False
    __slots__ = ()


class Action(Node):
    """Calls one step: a coroutine function, or a plain function in a worker thread (manual 2.3)."""

    __slots__ = ("fn", "call", "asyncio_only")

    def __init__(self, fn: Step, *, id: str | None = None, name: str | None = None,
                 description: str | None = None) -> None:
        if not callable(fn):
            raise TypeError(f"{type(self).__name__} needs a function or coroutine function, not {fn!r}")
        super().__init__(id=id, name=name or describe(fn), description=description or _first_line(fn.__doc__))
        self.fn = fn
        self.call: StepCaller = self._caller(fn)
        #: a coroutine function written for asyncio only: consecutive ones share one asyncio task
        self.asyncio_only = self.call is call_asyncio

    _caller = staticmethod(caller)


class ActionInThread(Action):
    """Calls a plain function in a worker thread, so it cannot block the other steps."""

    __slots__ = ()

    @staticmethod
    def _caller(fn: Step) -> StepCaller:
        return call_step_in_thread


def as_node(item: Child) -> Node:
    """A child given to a container: a node as is, a function or coroutine function as an Action."""
    if isinstance(item, Node):
        return item
    if callable(item):
        return Action(item)
    raise TypeError(f"a node or a function is expected, not {item!r}")


class Sequence(Node):
    """Executes its children one after the other."""

    type_code = "S"
    is_step = False
    __slots__ = ("children", "begin", "end")
    current_seq = context.current_seq
    root = context.root

    def __init__(self, *, id: str | None = None, name: str | None = None, description: str | None = None) -> None:
        super().__init__(id=id, name=name, description=description)
        self.children: list[Node] = []
        self.begin: Node | None = None
        self.end: Node | None = None

    @classmethod
    def create(cls, *children: Child, **kw: Any) -> Self:
        """Build the container with ``children`` (nodes, functions or coroutine functions)."""
        node = cls(**kw)
        node.add(*children)
        return node

    def add(self, *children: Child) -> Self:
        for item in children:
            self.children.append(self.adopt(item))
        return self

    def _copy_below(self) -> None:
        children, self.children = self.children, []
        self.begin = self.end = None
        self.add(*children)

    @staticmethod
    def get_context() -> dict[str, Any]:
        return context.get_context()

    @property
    def inner(self) -> list[Node]:
        """The nodes between begin and end."""
        return self.children

    @property
    def subnodes(self) -> tuple[Node, ...]:
        if self.begin is None or self.end is None:
            return tuple(self.inner)
        return (self.begin, *self.inner, self.end)

    def add_endpoints(self) -> None:
        if self.begin is None:
            self.begin = _Endpoint(name="begin", id=f"begin_{self.id}")
            self.begin.parent = self
        for child in self.inner:
            child.add_endpoints()
        if self.end is None:
            self.end = _Endpoint(name="end", id=f"end_{self.id}")
            self.end.parent = self

    async def _body(self, run: Run) -> None:
        token = context.current_seq.set(self)
        try:
            await run.execute(self.begin)
            await run.execute_in_order(self.children)
            await run.execute(self.end)
        finally:
            context.current_seq.reset(token)


class Parallel(Sequence):
    """Executes its children together; finishes when all of them are done."""

    type_code = "P"
    __slots__ = ()

    async def _body(self, run: Run) -> None:
        token = context.current_seq.set(self)
        try:
            await run.execute(self.begin)
            pending = [child for child in self.children if not run.is_done(child)]
            if pending:
                await run.execute_together(pending)
            await run.execute(self.end)
        finally:
            context.current_seq.reset(token)


class _Executes(Protocol):
    """What executes a loop's turns: the Run, or its stand-in in an asyncio task."""

    async def execute(self, node: Node) -> None: ...

    async def execute_in_order(self, nodes: list[Node]) -> None: ...

    def reschedule(self, nodes: list[Node]) -> None: ...


class Loop(Sequence):
    """Repeats its body while ``condition`` is true; ``init`` runs once, first."""

    type_code = "L"
    __slots__ = ("init", "condition", "iteration", "body_pending")
    index = context.loop_index
    iteration: int
    body_pending: bool

    def __init__(self, *, id: str | None = None, name: str | None = None, description: str | None = None,
                 init: Child | None = None, condition: Child | None = None) -> None:
        super().__init__(id=id, name=name, description=description)
        if condition is None:
            raise TypeError("Loop.create() needs condition=, a function returning whether to run the body again")
        self.init = self.adopt(init) if init is not None else None
        self.condition = self.adopt(condition)
        self.restart()

    def _copy_below(self) -> None:
        super()._copy_below()
        self.init = self.adopt(self.init) if self.init is not None else None
        self.condition = self.adopt(self.condition)
        self.restart()

    def restart(self) -> None:
        self.iteration = 0
        self.body_pending = False

    @property
    def inner(self) -> list[Node]:
        head = [self.condition] if self.init is None else [self.init, self.condition]
        return head + self.children

    @property
    def turns_in_asyncio(self) -> bool:
        """Whether the condition and every node of the body are asyncio steps (see ``Run.execute_turns``)."""
        return self.condition.asyncio_only and all(child.asyncio_only for child in self.children)

    async def _body(self, run: Run) -> None:
        seq_token = context.current_seq.set(self)
        index_token = context.loop_index.set(self.iteration)
        try:
            await run.execute(self.begin)
            if self.init is not None:
                await run.execute(self.init)
            await run.execute_turns(self)
            await run.execute(self.end)
        finally:
            context.loop_index.reset(index_token)
            context.current_seq.reset(seq_token)

    async def turns(self, run: _Executes) -> None:
        """The condition, then the body while the condition holds; resumes a turn that was interrupted.

        ``run`` executes the nodes: the Run, or its stand-in in an asyncio task.
        """
        context.loop_index.set(self.iteration)
        while True:
            if not self.body_pending:
                await run.execute(self.condition)
                if not self.condition.result:
                    return
                run.reschedule(self.children)
                self.body_pending = True
            await run.execute_in_order(self.children)
            self.iteration += 1
            self.body_pending = False
            context.loop_index.set(self.iteration)
            run.reschedule([self.condition])


class BasicDialog(Node):
    """Asks the operator what to do when ``check_condition`` is not met (manual 2.8).

    The condition is checked first; when it returns false a dialog request is
    published and the node waits for the answer: perform ``condition_extra_step``
    and go on, or stop the sequence (the run is aborted, ``continue`` asks again).
    """

    type_code = "D"
    __slots__ = ("check_condition", "condition_extra_step", "condition_label", "step_label")

    def __init__(
        self,
        *,
        check_condition: Step,
        condition_extra_step: Step,
        condition_label: str = "condition",
        step_label: str = "extra step",
        id: str | None = None,
        name: str | None = None,
        description: str | None = None,
    ) -> None:
        super().__init__(id=id, name=name or "BasicDialog", description=description)
        self.check_condition = check_condition
        self.condition_extra_step = condition_extra_step
        self.condition_label = condition_label
        self.step_label = step_label

    async def _body(self, run: Run) -> None:
        await run.step(self, self._interact, run)

    async def _interact(self, run: Run) -> Any:
        if await call_step(self.check_condition, run.loop):
            return True
        if not await run.ask(self):
            run.abort()
            await trio.lowlevel.checkpoint()
        return await call_step(self.condition_extra_step, run.loop)


class Template(Sequence):
    """A script instance carrying parameters (an entry of an OB's ``templates``)."""

    type_code = "T"
    __slots__ = ("parameters", "module")

    def __init__(self, *, parameters: Iterable[Mapping[str, Any]] | None = None, module: ModuleType | None = None,
                 id: str | None = None, name: str | None = None, description: str | None = None) -> None:
        super().__init__(id=id, name=name or "Template", description=description)
        self.parameters = [dict(p) for p in parameters or ()]
        self.module = module

    def _copy_below(self) -> None:
        super()._copy_below()
        self.parameters = [dict(p) for p in self.parameters]

    def get(self, name: str) -> Any:
        for parameter in self.parameters:
            if parameter["name"] == name:
                return parameter["value"]
        params = getattr(self.module, "__seq_params__", None) or {}
        if name in params:
            return params[name]
        raise KeyError(f"template {self.name!r} ({self.sn}) has no parameter {name!r}")

    async def _body(self, run: Run) -> None:
        token = context.current_template.set(self)
        try:
            await super()._body(run)
        finally:
            context.current_template.reset(token)


def seq_factory(module: ModuleType, *args: Any, **kw: Any) -> Node:
    """Build a module's script: ``create_sequence()``, else ``Tpl.create_sequence()`` / ``Tpl.create()``."""
    factory = getattr(module, "create_sequence", None)
    if not callable(factory):
        tpl = getattr(module, "Tpl", None)
        factory = getattr(tpl, "create_sequence", None) or getattr(tpl, "create", None)
    if not callable(factory):
        raise LookupError(
            f"module {module.__name__} has neither a create_sequence() function "
            "nor a class Tpl with a static create() or create_sequence()"
        )
    node = factory(*args, **kw)
    if not isinstance(node, Node):
        if callable(node):
            return as_node(node)
        raise TypeError(f"{module.__name__}: the script's constructor returned {node!r}, not a node")
    return node


def find_node(start: Node | None, node_id: str) -> tuple[Node | None, Node] | tuple[None, None]:
    """Find the node with id ``node_id`` below ``start``: ``(parent, node)``, or ``(None, None)``."""
    if start is None:
        return None, None
    if start.id == node_id:
        return start.parent, start
    for node in start.walk():
        if node.id == node_id:
            return node.parent, node
    return None, None


def get_param(name: str) -> Any:
    """The value of the current template's parameter ``name``.

    Outside a template (a script loaded on its own) the calling module's
    ``__seq_params__`` gives the value.
    """
    template = context.current_template.get()
    if template is not None:
        try:
            return template.get(name)
        except KeyError:
            pass
    params = sys._getframe(1).f_globals.get("__seq_params__") or {}
    if name in params:
        return params[name]
    raise KeyError(f"no template parameter {name!r}")


def partial(fn: Callable[..., _T], *args: Any, **kw: Any) -> functools.partial[_T]:
    """``functools.partial`` that keeps the wrapped function's name and docstring (manual 5.2)."""
    wrapped = functools.partial(fn, *args, **kw)
    functools.update_wrapper(wrapped, fn)
    return wrapped


def set_runtime_flag(node: _N, flag: RTFLAG, value: bool = True) -> _N:
    """Set (or clear, with ``value=False``) a runtime flag of ``node``."""
    flag = RTFLAG(flag)
    node.flags = RTFLAG(node.flags | flag) if value else RTFLAG(node.flags & ~flag)
    return node


@overload
def _pause(item: _N) -> _N: ...


@overload
def _pause(item: Step) -> Action: ...


def _pause(item: Child) -> Node:
    """The node for ``item`` with its PAUSE flag set."""
    return set_runtime_flag(as_node(item), RTFLAG.PAUSE)


@overload
def _skip(item: _N) -> _N: ...


@overload
def _skip(item: Step) -> Action: ...


def _skip(item: Child) -> Node:
    """The node for ``item`` with its SKIP flag set."""
    return set_runtime_flag(as_node(item), RTFLAG.SKIP)
