"""The names of the directory: components, sequencers and observing modes.

A sequence component is ``SUBSYSTEM.NAME`` (``ESW.ESW_77``); the sequencer it becomes
when it loads the script of an observing mode is ``SUBSYSTEM@OBSMODE`` or
``SUBSYSTEM@OBSMODE.VARIATION`` (``IRIS@IRIS_ifsonly``, ``IRIS@IRIS_ImagerAndIFS.IMAGER``),
as in TMT's naming. An observing mode is ``<system>_<modeName>`` with an upper-case
system. TMT's later dotted form of a sequencer, ``IRIS.IRIS_ifsonly``, is accepted as
an alias where a name is looked up. Pure functions: every check here is a string check.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from seqlocation.errors import InvalidName

COMPONENT = "component"
SEQUENCER = "sequencer"

_SUBSYSTEM = re.compile(r"[A-Z][A-Z0-9]*\Z")
_PART = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*\Z")
_OBSMODE = re.compile(r"(?P<system>[A-Z][A-Z0-9]*)_(?P<mode>[A-Za-z0-9][A-Za-z0-9_-]*)\Z")


@dataclass(frozen=True)
class Name:
    """A parsed name of the directory: its kind and its parts.

    ``text`` is the canonical form, the one registered (``IRIS@IRIS_ifsonly``, never
    the dotted alias)."""

    kind: str
    subsystem: str
    name: str = ""  # a component's own name
    obsmode: str = ""  # a sequencer's observing mode
    variation: str | None = None

    @property
    def text(self) -> str:
        if self.kind == COMPONENT:
            return f"{self.subsystem}.{self.name}"
        suffix = f".{self.variation}" if self.variation else ""
        return f"{self.subsystem}@{self.obsmode}{suffix}"

    def __str__(self) -> str:
        return self.text


def check_subsystem(subsystem: str) -> str:
    if not _SUBSYSTEM.match(subsystem):
        raise InvalidName(
            f"subsystem {subsystem!r}: expected upper-case letters and digits, starting with a letter (ESW, IRIS)"
        )
    return subsystem


def check_obsmode(obsmode: str) -> str:
    """An observing mode ``<system>_<modeName>`` (``IRIS_ifsonly``), or InvalidName saying why not."""
    if not _OBSMODE.match(obsmode):
        raise InvalidName(
            f"observing mode {obsmode!r}: expected <system>_<modeName> with an upper-case system "
            "(IRIS_ifsonly, WFOS_darknight, ENG_pointingmap)"
        )
    return obsmode


def _check_part(what: str, value: str) -> str:
    if not _PART.match(value):
        raise InvalidName(f"{what} {value!r}: expected letters, digits, '_' or '-', starting with a letter or digit")
    return value


def component_name(subsystem: str, name: str) -> Name:
    """The name of a sequence component, ``SUBSYSTEM.NAME``."""
    return Name(COMPONENT, check_subsystem(subsystem), name=_check_part("component name", name))


def sequencer_name(subsystem: str, obsmode: str, variation: str | None = None) -> Name:
    """The name of a sequencer, ``SUBSYSTEM@OBSMODE[.VARIATION]``."""
    if variation is not None:
        _check_part("variation", variation)
    return Name(SEQUENCER, check_subsystem(subsystem), obsmode=check_obsmode(obsmode), variation=variation or None)


def parse_component(text: str) -> Name:
    """``SUBSYSTEM.NAME`` -> Name, or InvalidName saying what is wrong."""
    subsystem, dot, name = text.partition(".")
    if not dot or "@" in text:
        raise InvalidName(f"component {text!r}: expected SUBSYSTEM.NAME (ESW.ESW_77)")
    return component_name(subsystem, name)


def parse_sequencer(text: str) -> Name:
    """``SUBSYSTEM@OBSMODE[.VARIATION]`` -> Name, or InvalidName saying what is wrong."""
    subsystem, at, rest = text.partition("@")
    if not at:
        raise InvalidName(f"sequencer {text!r}: expected SUBSYSTEM@OBSMODE[.VARIATION] (IRIS@IRIS_ifsonly)")
    obsmode, dot, variation = rest.partition(".")
    if dot and not variation:
        raise InvalidName(f"sequencer {text!r}: the variation after '.' is empty")
    return sequencer_name(subsystem, obsmode, variation if dot else None)


def parse_name(text: str) -> Name:
    """A registered name as written: a sequencer when it holds ``@``, else a component."""
    return parse_sequencer(text) if "@" in text else parse_component(text)


def lookup_names(text: str) -> list[str]:
    """The registered names ``text`` may stand for, in the order to try them.

    ``IRIS@IRIS_ifsonly`` and ``ESW.ESW_77`` stand for themselves; a dotted name whose
    second part is an observing mode (``IRIS.IRIS_ifsonly``, TMT's form) may also be
    that sequencer (``IRIS@IRIS_ifsonly``), tried after the component of that name.
    """
    if "@" in text:
        return [parse_sequencer(text).text]
    subsystem, _, rest = text.partition(".")
    names, problems = [], []
    for parse, candidate in ((parse_component, text), (parse_sequencer, f"{subsystem}@{rest}")):
        try:
            names.append(parse(candidate).text)
        except InvalidName as exc:
            problems.append(exc)
    if not names:
        raise problems[0]
    return names
