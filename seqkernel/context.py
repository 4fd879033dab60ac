"""Context variables of a running script (manual 5.5).

They are ``contextvars.ContextVar`` objects, so each trio task (and each thread
started for an ``ActionInThread``) sees its own values: parallel branches and
nested loops never see each other's index or container.
"""
from __future__ import annotations

from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .nodes import Node, Sequence, Template

#: The container (Sequence, Parallel, Loop, ...) whose child is executing.
current_seq: ContextVar[Sequence | None] = ContextVar("current_seq", default=None)
#: The top node of the script being executed.
root: ContextVar[Node | None] = ContextVar("root", default=None)
#: The running index of the innermost Loop.
loop_index: ContextVar[int] = ContextVar("index", default=0)
#: The Template being executed, for ``get_param``.
current_template: ContextVar[Template | None] = ContextVar("current_template", default=None)
#: The node whose step is executing, so log records name the node they came from.
current_node: ContextVar[Node | None] = ContextVar("current_node", default=None)


def get_context() -> dict[str, Any]:
    """The dictionary shared by every node of the running script (manual 5.8)."""
    top = root.get()
    if top is None:
        raise LookupError("get_context() called outside a running script")
    return top.context
