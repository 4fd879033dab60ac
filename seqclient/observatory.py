"""The configuration file's ``scripts`` and ``obsmodes`` sections: what a sequence component
loads for an observing mode, and what each observing mode needs.

::

    scripts:                       # SUBSYSTEM -> OBSMODE -> the script module to load
      IRIS:
        IRIS_ifsonly: iris.ifsonly
        IRIS_ImagerAndIFS:
          script: iris.both
          variations: {IMAGER: iris.imager}
          simulation: iris.both_simulated   # loaded instead by a component that simulates
      ESW:
        IRIS_ifsonly: esw.iris_top
    obsmodes:
      IRIS_ifsonly:
        resources: [IRIS, TCS]     # two modes conflict when these overlap
        sequencers: [ESW, IRIS]    # SUBSYSTEM or SUBSYSTEM.VARIATION; the first drives the others

Everything is checked when the file is read: names (subsystems in upper case,
observing modes ``<system>_<modeName>``), and that every sequencer an observing
mode needs has a script.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from seqlocation.errors import InvalidName
from seqlocation.names import check_obsmode, check_subsystem


class ObservatoryError(ValueError):
    """A ``scripts`` or ``obsmodes`` section that cannot be used (the text says where and why)."""


@dataclass(frozen=True)
class ScriptChoice:
    """The script modules of one subsystem for one observing mode."""

    script: str
    variations: Mapping[str, str] = field(default_factory=dict)
    simulation: str | None = None  # loaded instead by a component that simulates

    def module(self, variation: str | None = None, simulating: bool = False) -> str:
        """The module to load; KeyError for a variation that is not configured."""
        if variation is not None:
            return self.variations[variation]
        return self.simulation if simulating and self.simulation else self.script


@dataclass(frozen=True)
class Sequencer:
    """One sequencer an observing mode needs: a subsystem, and maybe a variation of its script."""

    subsystem: str
    variation: str | None = None

    def __str__(self) -> str:
        return f"{self.subsystem}.{self.variation}" if self.variation else self.subsystem


@dataclass(frozen=True)
class ObsMode:
    name: str
    resources: tuple[str, ...]
    sequencers: tuple[Sequencer, ...]  # the first drives the others

    def shared_resources(self, other: ObsMode) -> set[str]:
        """What this mode and ``other`` both use: they conflict when it is not empty."""
        return set(self.resources) & set(other.resources)


Scripts = Mapping[str, Mapping[str, ScriptChoice]]


def parse_scripts(section: Any) -> dict[str, dict[str, ScriptChoice]]:
    """The ``scripts`` section; ObservatoryError naming what is wrong."""
    subsystems: dict[str, dict[str, ScriptChoice]] = {}
    for subsystem, modes in _mapping(section, "scripts").items():
        where = f"scripts.{subsystem}"
        subsystem = _checked(check_subsystem, subsystem, where)
        subsystems[subsystem] = {
            _checked(check_obsmode, mode, f"{where}.{mode}"): _script_choice(choice, f"{where}.{mode}")
            for mode, choice in _mapping(modes, where).items()
        }
    return subsystems


def parse_obsmodes(section: Any, scripts: Scripts) -> dict[str, ObsMode]:
    """The ``obsmodes`` section, each sequencer checked to have a script in ``scripts``."""
    modes = {}
    for name, mode in _mapping(section, "obsmodes").items():
        where = f"obsmodes.{name}"
        name = _checked(check_obsmode, name, where)
        body = _mapping(mode, where, keys={"resources", "sequencers"})
        resources = tuple(_checked(check_subsystem, resource, f"{where}.resources")
                          for resource in _list(body.get("resources", []), f"{where}.resources"))
        sequencers = tuple(_sequencer(text, f"{where}.sequencers")
                           for text in _list(body.get("sequencers"), f"{where}.sequencers"))
        if not sequencers:
            raise ObservatoryError(f"{where}.sequencers: an observing mode needs at least one sequencer")
        for sequencer in sequencers:
            choice = scripts.get(sequencer.subsystem, {}).get(name)
            if choice is None:
                raise ObservatoryError(f"{where} needs the sequencer {sequencer.subsystem}, but scripts.{sequencer.subsystem} "
                                       f"has no script for {name}")
            if sequencer.variation is not None and sequencer.variation not in choice.variations:
                raise ObservatoryError(f"{where} needs the sequencer {sequencer}, but scripts.{sequencer.subsystem}."
                                       f"{name} has no variation {sequencer.variation}")
        modes[name] = ObsMode(name, resources, sequencers)
    return modes


def _script_choice(value: Any, where: str) -> ScriptChoice:
    if isinstance(value, str):
        return ScriptChoice(_module(value, where))
    body = _mapping(value, where, keys={"script", "variations", "simulation"})
    if "script" not in body:
        raise ObservatoryError(f"{where}: give the module to load, as a value or as script:")
    variations = {str(variation): _module(module, f"{where}.variations.{variation}")
                  for variation, module in _mapping(body.get("variations", {}), f"{where}.variations").items()}
    simulation = _module(body["simulation"], f"{where}.simulation") if "simulation" in body else None
    return ScriptChoice(_module(body["script"], f"{where}.script"), variations, simulation)


def _sequencer(text: Any, where: str) -> Sequencer:
    subsystem, _, variation = str(text).partition(".")
    return Sequencer(_checked(check_subsystem, subsystem, where), variation or None)


def _module(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ObservatoryError(f"{where}: expected a module name (e.g. iris.ifsonly), got {value!r}")
    return value.strip()


def _mapping(value: Any, where: str, keys: set[str] | None = None) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ObservatoryError(f"{where}: expected a mapping, got {type(value).__name__}")
    if keys is not None and (unknown := sorted(set(map(str, value)) - keys)):
        raise ObservatoryError(f"{where}: unknown key(s) {', '.join(unknown)} (known: {', '.join(sorted(keys))})")
    return value


def _list(value: Any, where: str) -> list:
    if not isinstance(value, list):
        raise ObservatoryError(f"{where}: expected a list, got {value!r}")
    return value


def _checked(check: Callable[[str], str], value: Any, where: str) -> str:
    try:
        return check(str(value))
    except InvalidName as exc:
        raise ObservatoryError(f"{where}: {exc}") from None
