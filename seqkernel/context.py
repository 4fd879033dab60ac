"""Context variables of a running script (manual 5.5).

They are ``contextvars.ContextVar`` objects, so each trio task (and each thread
started for an ``ActionInThread``) sees its own values: parallel branches and
nested loops never see each other's index or container.
"""
from contextvars import ContextVar

#: The container (Sequence, Parallel, Loop, ...) whose child is executing.
current_seq: ContextVar = ContextVar("current_seq", default=None)
#: The top node of the script being executed.
root: ContextVar = ContextVar("root", default=None)
#: The running index of the innermost Loop.
loop_index: ContextVar = ContextVar("index", default=0)
#: The Template being executed, for ``get_param``.
current_template: ContextVar = ContextVar("current_template", default=None)
#: The node whose step is executing, so log records name the node they came from.
current_node: ContextVar = ContextVar("current_node", default=None)


def get_context() -> dict:
    """The dictionary shared by every node of the running script (manual 5.8)."""
    top = root.get()
    if top is None:
        raise LookupError("get_context() called outside a running script")
    return top.context
