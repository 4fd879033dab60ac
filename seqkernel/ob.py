"""Observation blocks: an OB JSON file becomes an ``OB`` node holding one ``Template`` per entry.

Only the ``templates`` section matters to the sequencer (manual 2.6): each entry
names a module (``templateName``, dotted) and the parameters handed to that
template instance. The same module may appear many times with different values.
"""
from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING, Any, TypeAlias, TypedDict, Unpack

from . import context
from .exceptions import NotAllowed
from .nodes import Sequence, Template, seq_factory

if TYPE_CHECKING:
    from .execution import Run

_TYPES = ("integer", "number", "string", "boolean")


class _NodeOptions(TypedDict, total=False):
    id: str | None
    name: str | None
    description: str | None


class OB(Sequence):
    """An observation block: its templates, executed in order.

    Each template remembers the entry of the OB's ``templates`` it was made from, so
    that the OB as it stands (templates moved, removed or added again, variables set)
    can be written back as JSON (:meth:`current_data`). Its templates run as a queue:
    the first one still to run goes next, so templates moved during a run keep
    their new order (:meth:`seqkernel.execution.Run.execute_queue`).
    """

    type_code = "O"
    __slots__ = ("data", "source", "entries")

    def __init__(self, *, data: dict[str, Any] | None = None, source: str | None = None,
                 **kw: Unpack[_NodeOptions]) -> None:
        super().__init__(**kw)
        self.data = data or {}
        self.source = source
        self.entries: dict[Template, dict[str, Any]] = {}  # each template's entry of the OB's JSON

    #: ``OB.create_sequence(module, **kw)`` builds a module's script (manual 2.5).
    create_sequence = staticmethod(seq_factory)

    @property
    def templates(self) -> list[Template]:
        return [child for child in self.children if isinstance(child, Template)]

    def _copy_below(self) -> None:
        before = self.children
        super()._copy_below()
        self.entries = {twin: self.entries[old] for old, twin in zip(before, self.children)
                        if isinstance(twin, Template) and old in self.entries}

    async def _body(self, run: Run) -> None:
        token = context.current_seq.set(self)
        try:
            await run.execute(self.begin)
            await run.execute_queue(self)
            await run.execute(self.end)
        finally:
            context.current_seq.reset(token)

    def add_template(self, entry: dict[str, Any], module: ModuleType) -> Template:
        """Append the template of one entry of the OB's ``templates`` (its module imported)."""
        template = build_template(entry, module)
        self.add(template)
        self.entries[template] = entry
        return template

    def arrange(self, templates: list[Template]) -> None:
        """Make ``templates`` (some of the OB's, in a new order, or templates made by
        :meth:`template_again`) its templates."""
        self.entries = {template: self.entries[template] for template in templates}
        self.children = list(templates)

    def template_again(self, template: Template) -> Template:
        """A fresh template made as ``template`` was, with its variables' current values (not yet placed)."""
        if template not in self.entries or template.module is None:
            raise NotAllowed(f"({template.sn}) {template.name} was built by its script, not from an entry of the OB: "
                             "requeue the script instead")
        entry = _current_entry(self.entries[template], template)
        again = build_template(entry, template.module)
        again.parent = self
        self.entries[again] = entry
        return again

    def current_data(self) -> dict[str, Any]:
        """The OB's JSON as it stands: its templates in their order, each variable at its current value."""
        return {**copy.deepcopy(self.data),
                "templates": [_current_entry(self.entries[template], template) for template in self.templates]}


def _current_entry(entry: dict[str, Any], template: Template) -> dict[str, Any]:
    """A template's entry of the OB's JSON, its variables at their current values."""
    entry = copy.deepcopy(entry)
    values = {parameter["name"]: parameter["value"] for parameter in template.parameters}
    for parameter in entry.get("parameters") or []:
        parameter["value"] = values.get(parameter["name"], parameter["value"])
    return entry


#: Where an OB comes from: a path, JSON text, or the parsed JSON.
ObSource: TypeAlias = str | os.PathLike[str] | dict[str, Any]


def read_ob(source: ObSource) -> tuple[dict[str, Any], str | None]:
    """The OB's parsed JSON, checked, and the file it came from (``source``: a path, JSON text or a dict)."""
    data, path = parse_ob(source)
    _check(data)
    return data, path


def parse_ob(source: ObSource) -> tuple[dict[str, Any], str | None]:
    """Like :func:`read_ob`, unchecked: the JSON as it is (an instrument package checks it better)."""
    if isinstance(source, dict):
        data, path = source, None
    elif isinstance(source, str) and source.lstrip().startswith("{"):
        data, path = _parse(source, "the OB text"), None
    else:
        path = os.fspath(source)
        try:
            with open(path, encoding="utf-8") as stream:
                data = _parse(stream.read(), path)
        except OSError as exc:
            raise ValueError(f"cannot read OB file {path}: {exc.strerror}") from exc
    return data, path


def _parse(text: str, where: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{where} is not valid JSON: {exc}") from exc


def _check(data: object) -> None:
    if not isinstance(data, dict):
        raise ValueError("an OB must be a JSON object")
    templates = data.get("templates")
    if not isinstance(templates, list) or not templates:
        raise ValueError("the OB has no 'templates' list")
    problems = []
    for index, entry in enumerate(templates):
        if not isinstance(entry, dict) or not isinstance(entry.get("templateName"), str):
            problems.append(f"template {index} has no templateName")
            continue
        for parameter in entry.get("parameters") or []:
            if not isinstance(parameter, dict) or "name" not in parameter or "value" not in parameter:
                problems.append(f"template {index} ({entry['templateName']}): a parameter lacks name or value")
                continue
            try:
                coerce(parameter.get("type"), parameter["value"])
            except ValueError as exc:
                problems.append(f"template {index} ({entry['templateName']}): parameter {parameter['name']}: {exc}")
    if problems:
        raise ValueError("invalid OB: " + "; ".join(problems))


def ob_entry(ob: OB, index: int) -> dict[str, Any]:
    """What ``lsob`` and a snapshot's ``obs`` say of a loaded OB, the ``index``-th of the queue."""
    return {"index": index, "sn": ob.sn, "name": ob.name, "source": ob.source,
            "templates": [template.description for template in ob.templates]}


def ob_name(data: dict[str, Any]) -> str:
    description = data.get("obsDescription") or {}
    return str(description.get("name") or data.get("name") or "OB")  # (a name may be a number in the JSON)


def build_ob(data: dict[str, Any], import_module: Callable[[str], ModuleType], source: str | None = None) -> OB:
    """The OB node for parsed OB ``data``; ``import_module(name)`` gives each template's module."""
    ob = OB(name=ob_name(data), data=data, source=source)
    modules: dict[str, ModuleType] = {}
    for entry in data["templates"]:
        name = entry["templateName"]
        if name not in modules:
            modules[name] = import_module(name)
        ob.add_template(entry, modules[name])
    return ob


def build_template(entry: dict[str, Any], module: ModuleType) -> Template:
    """The template of one entry of an OB's ``templates``: its module's script with the entry's parameters."""
    parameters = [
        {"name": p["name"], "type": p.get("type"), "value": coerce(p.get("type"), p["value"])}
        for p in entry.get("parameters") or []
    ]
    template = Template(parameters=parameters, module=module, description=entry["templateName"])
    template.add(seq_factory(module))
    return template


def coerce(declared: str | None, value: object) -> object:
    """``value`` checked against (and, from text, converted to) an OB parameter type."""
    if declared not in _TYPES:
        return value
    if declared == "string":
        return value if isinstance(value, str) else str(value)
    if declared == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "false", "yes", "no", "1", "0"):
            return value.strip().lower() in ("true", "yes", "1")
        raise ValueError(f"{value!r} is not a boolean (true or false)")
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not an {declared}" if declared == "integer" else f"{value!r} is not a number")
    if declared == "integer":
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            try:
                return int(value.strip())
            except ValueError:
                pass
        raise ValueError(f"{value!r} is not an integer")
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            pass
    raise ValueError(f"{value!r} is not a number")


def variables(obs: list[OB]) -> list[dict[str, Any]]:
    """Every template variable of the loaded OBs, by OB index and template index."""
    rows = []
    for ob_index, ob in enumerate(obs):
        for tpl_index, template in enumerate(ob.templates):
            for parameter in template.parameters:
                rows.append(
                    {
                        "ob": ob_index,
                        "ob_name": ob.name,
                        "template": tpl_index,
                        "template_name": template.description,
                        "sn": template.sn,
                        "name": parameter["name"],
                        "type": parameter["type"],
                        "value": parameter["value"],
                    }
                )
    return rows


def set_variable(obs: list[OB], ob_index: int, tpl_index: int, name: str, value: object) -> object:
    """Set one template variable, checked against its declared type; nothing changes on error."""
    if not 0 <= ob_index < len(obs):
        raise ValueError(f"no OB with index {ob_index} ({len(obs)} loaded)")
    templates = obs[ob_index].templates
    if not 0 <= tpl_index < len(templates):
        raise ValueError(f"OB {ob_index} has no template with index {tpl_index} ({len(templates)} templates)")
    for parameter in templates[tpl_index].parameters:
        if parameter["name"] == name:
            parameter["value"] = coerce(parameter["type"], value)
            return parameter["value"]
    raise ValueError(f"template {tpl_index} of OB {ob_index} has no variable {name!r}")
