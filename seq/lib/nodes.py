"""The manual's ``seq.lib.nodes``: node types and the helpers scripts use."""
from seqkernel.context import get_context  # noqa: F401
from seqkernel.nodes import (  # noqa: F401
    Action,
    ActionInThread,
    BasicDialog,
    Loop,
    Node,
    Parallel,
    Sequence,
    Template,
    _pause,
    _skip,
    find_node,
    get_param,
    partial,
    seq_factory,
    set_runtime_flag,
)
from seqkernel.states import RTFLAG, State  # noqa: F401

__all__ = [
    "Action", "ActionInThread", "BasicDialog", "Loop", "Node", "Parallel", "RTFLAG", "Sequence", "State",
    "Template", "_pause", "_skip", "find_node", "get_context", "get_param", "partial", "seq_factory",
    "set_runtime_flag",
]
