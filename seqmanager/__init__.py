"""The sequence manager: observing modes brought up and down on the sequence components.

``seqtool sm`` (:mod:`seqmanager.tool`) is its command line. It keeps nothing of its
own: :class:`SequenceManager` reads the location service, judges the configuration's
observing modes with it (:mod:`seqmanager.modes`) and acts through the components'
commands, so any number of operators on any hosts share one view.
"""
from seqmanager.manager import BadRequest, ManagerError, Report, SequenceManager
from seqmanager.modes import (
    CONFIGURABLE, CONFIGURED, NON_CONFIGURABLE, Assignment, ModeStatus, Observatory, ResourceUse,
)

__all__ = [
    "CONFIGURABLE", "CONFIGURED", "NON_CONFIGURABLE", "Assignment", "BadRequest", "ManagerError", "ModeStatus",
    "Observatory", "Report", "ResourceUse", "SequenceManager",
]
