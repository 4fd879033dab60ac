"""seq's engine and script API.

Scripts import these names as the manual shows (``seq.lib``, ``seq.lib.nodes``,
``seq.lib.ob``, ``seq.lib.log``); this package is where they live.
"""
from .context import get_context
from .log import getUserLogger, logConfig
from .nodes import (
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
from .ob import OB
from .remote import RemoteError, RemoteSequencer, get_sequencer
from .simulation import simulating
from .states import RTFLAG, State
from .steps import asyncio_step, trio_step

__all__ = [
    "Action",
    "ActionInThread",
    "BasicDialog",
    "Loop",
    "Node",
    "OB",
    "Parallel",
    "RTFLAG",
    "RemoteError",
    "RemoteSequencer",
    "Sequence",
    "State",
    "Template",
    "_pause",
    "_skip",
    "asyncio_step",
    "find_node",
    "getUserLogger",
    "get_context",
    "get_param",
    "get_sequencer",
    "logConfig",
    "partial",
    "seq_factory",
    "set_runtime_flag",
    "simulating",
    "trio_step",
]
