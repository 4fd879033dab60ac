"""Instrument packages (manual 3.3): which module runs each template, and with
which parameters.

An instrument package lives under ``CFGPATH/IP/<instrument>/ip/``::

    app/library.cfg           template name -> Python module
    templates/<name>.json     one signature per template

``library.cfg`` is an INI file with one ``[templates]`` section; each line maps a
template name, as an OB's ``templateName`` spells it, to the dotted module that
implements it (case is kept)::

    [templates]
    seq.samples.tpa = seq.samples.tpa
    FORS2_img_obs_exp = seq.samples.tpa

A signature names the template's parameters, their type (``integer``, ``number``,
``string`` or ``boolean``, the OB format's types), and either ``"required": true``
or a ``default`` used when an OB leaves the parameter out::

    {"templateName": "seq.samples.tpa",
     "description": "Adds par_b and par_c",
     "parameters": [
        {"name": "par_b", "type": "integer", "required": true},
        {"name": "par_c", "type": "number", "default": 22}]}

Everything here is a pure function of files and dicts. Before loading an OB, the
kernel calls :func:`prepare_ob`: it raises InvalidOB listing every problem found
by :func:`validate_ob`, or returns the OB of :func:`resolve_ob`, whose
``templateName`` entries are module names, for the engine.
"""
from __future__ import annotations

import configparser
import copy
import dataclasses
import json
import pathlib
from collections.abc import Mapping

from seqclient.config import cfgpath_folders

PARAMETER_TYPES = ("integer", "number", "string", "boolean")


class IPError(Exception):
    """An instrument package that cannot be found or read, or lacks a template."""


class PackageNotFound(IPError):
    """No folder of ``CFGPATH`` holds the instrument's package."""


class InvalidOB(IPError):
    """An OB that does not match its instrument package; ``problems`` lists why."""

    def __init__(self, problems: list[str], ip: InstrumentPackage):
        super().__init__(
            f"the OB does not match the {ip.instrument} instrument package"
            f" ({len(problems)} problem{'s' if len(problems) > 1 else ''}):\n  " + "\n  ".join(problems)
        )
        self.problems = problems


def type_problem(expected: str, value) -> str | None:
    """Why ``value`` is not of the OB parameter type ``expected``, or None when it is."""
    if expected not in PARAMETER_TYPES:
        return f"unknown type {expected!r} (expected one of {', '.join(PARAMETER_TYPES)})"
    matches = {
        "integer": isinstance(value, int) and not isinstance(value, bool),
        "number": isinstance(value, (int, float)) and not isinstance(value, bool),
        "string": isinstance(value, str),
        "boolean": isinstance(value, bool),
    }[expected]
    return None if matches else f"expected {expected}, got {json.dumps(value)}"


@dataclasses.dataclass(frozen=True)
class Parameter:
    name: str
    type: str
    required: bool
    default: object = None
    description: str = ""


@dataclasses.dataclass(frozen=True)
class Signature:
    template: str
    parameters: dict[str, Parameter]
    description: str = ""


@dataclasses.dataclass(frozen=True)
class InstrumentPackage:
    instrument: str
    root: pathlib.Path
    library: dict[str, str]
    signatures: dict[str, Signature]


def load_instrument_package(
    instrument: str, environ: Mapping[str, str] | None = None
) -> InstrumentPackage:
    """The package of ``instrument`` from the first ``CFGPATH`` folder holding
    ``IP/<instrument>/ip``; PackageNotFound naming the places searched when there is none."""
    folders = cfgpath_folders(environ)
    if not folders:
        raise PackageNotFound(f"no instrument package for {instrument}: CFGPATH is not set")
    candidates = [folder / "IP" / instrument / "ip" for folder in folders]
    for root in candidates:
        if root.is_dir():
            return read_instrument_package(instrument, root)
    searched = ", ".join(str(c) for c in candidates)
    raise PackageNotFound(f"no instrument package for {instrument}: none of {searched} exists")


def read_instrument_package(instrument: str, root: pathlib.Path) -> InstrumentPackage:
    """Read ``root/app/library.cfg`` and every ``root/templates/*.json``."""
    library = _read_library(root / "app" / "library.cfg")
    signatures = {}
    for path in sorted((root / "templates").glob("*.json")):
        signature = _read_signature(path)
        if signature.template in signatures:
            raise IPError(f"template {signature.template} has two signatures in {root / 'templates'}")
        signatures[signature.template] = signature
    return InstrumentPackage(instrument, root, library, signatures)


def _read_library(path: pathlib.Path) -> dict[str, str]:
    parser = configparser.ConfigParser(interpolation=None, delimiters=("=",))
    parser.optionxform = str  # template and module names are case-sensitive
    try:
        with open(path, encoding="utf-8") as file:
            parser.read_file(file)
    except OSError as exc:
        raise IPError(f"cannot read template library {path}: {exc.strerror}") from None
    except configparser.Error as exc:
        raise IPError(f"malformed template library {path}: {exc}") from None
    if not parser.has_section("templates"):
        raise IPError(f"malformed template library {path}: no [templates] section")
    library = dict(parser.items("templates"))
    empty = [name for name, module in library.items() if not module.strip()]
    if empty:
        raise IPError(f"malformed template library {path}: no module for {', '.join(empty)}")
    return library


def _read_signature(path: pathlib.Path) -> Signature:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise IPError(f"cannot read template signature {path}: {exc.strerror}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise IPError(f"malformed template signature {path}: {exc}") from None

    def bad(why: str) -> IPError:
        return IPError(f"malformed template signature {path}: {why}")

    if not isinstance(data, dict) or not isinstance(data.get("templateName"), str):
        raise bad('expected an object with a "templateName" string')
    if not isinstance(data.get("parameters", []), list):
        raise bad('"parameters" must be a list')
    parameters = {}
    for entry in data.get("parameters", []):
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise bad(f'parameter without a "name": {json.dumps(entry)}')
        name, kind = entry["name"], entry.get("type")
        if kind not in PARAMETER_TYPES:
            raise bad(f"parameter {name}: type must be one of {', '.join(PARAMETER_TYPES)}")
        required = entry.get("required", "default" not in entry)
        if "default" in entry and type_problem(kind, entry["default"]):
            raise bad(f"parameter {name}: default {type_problem(kind, entry['default'])}")
        parameters[name] = Parameter(
            name, kind, bool(required), entry.get("default"), entry.get("description", "")
        )
    return Signature(data["templateName"], parameters, data.get("description", ""))


def resolve_module(template_name: str, ip: InstrumentPackage) -> str:
    """The dotted module implementing ``template_name``; IPError when the library lacks it."""
    try:
        return ip.library[template_name]
    except KeyError:
        raise IPError(
            f"template {template_name} is not in the library of instrument {ip.instrument}"
        ) from None


def validate_ob(ob: object, ip: InstrumentPackage) -> list[str]:
    """Every problem of ``ob`` against the package, in order; an empty list when it is valid.

    Checked: the OB's instrument, that each template is in the library and has a
    signature, and each parameter: known, present when required, not given twice,
    its declared type the signature's, its value of that type.
    """
    if not isinstance(ob, dict):
        return ["an OB must be a JSON object"]
    problems = []
    instrument = ob.get("instrument")
    if instrument != ip.instrument:
        problems.append(
            f"the OB is for instrument {instrument!r}, the instrument package is {ip.instrument!r}"
        )
    templates = ob.get("templates")
    if not isinstance(templates, list) or not templates:
        return problems + ['"templates" must be a non-empty list']
    for index, template in enumerate(templates):
        problems += [f"templates[{index}]{p}" for p in _template_problems(template, ip)]
    return problems


def _template_problems(template: object, ip: InstrumentPackage) -> list[str]:
    """Problems of one template entry, each starting with its name (or ``:``)."""
    if not isinstance(template, dict) or not isinstance(template.get("templateName"), str):
        return [': expected an object with a "templateName" string']
    name = template["templateName"]
    if name not in ip.library:
        return [f" {name}: unknown template (not in the library of {ip.instrument})"]
    signature = ip.signatures.get(name)
    if signature is None:
        return [f" {name}: no signature in {ip.root / 'templates'}"]
    given = template.get("parameters", [])
    if not isinstance(given, list):
        return [f' {name}: "parameters" must be a list']
    problems, seen = [], set()
    for entry in given:
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            problems.append(f' {name}: parameter without a "name": {json.dumps(entry)}')
            continue
        pname = entry["name"]
        where = f" {name}: parameter {pname}"
        if pname in seen:
            problems.append(f"{where}: given twice")
            continue
        seen.add(pname)
        declared = signature.parameters.get(pname)
        if declared is None:
            known = ", ".join(signature.parameters) or "none"
            problems.append(f"{where}: unknown parameter (known: {known})")
            continue
        if "type" in entry and entry["type"] != declared.type:
            problems.append(f"{where}: declared {entry['type']!r}, the signature says {declared.type!r}")
        if "value" not in entry:
            problems.append(f"{where}: no value")
        elif (why := type_problem(declared.type, entry["value"])) is not None:
            problems.append(f"{where}: {why}")
    for missing in signature.parameters.values():
        if missing.required and missing.name not in seen:
            problems.append(f" {name}: missing required parameter {missing.name} ({missing.type})")
    return problems


def resolve_ob(ob: dict, ip: InstrumentPackage) -> dict:
    """A copy of a valid ``ob`` ready for the engine: each ``templateName`` replaced
    by its module, and each optional parameter the OB leaves out added with its default."""
    resolved = copy.deepcopy(ob)
    for template in resolved["templates"]:
        signature = ip.signatures[template["templateName"]]
        template["templateName"] = resolve_module(template["templateName"], ip)
        parameters = template.setdefault("parameters", [])
        given = {entry["name"] for entry in parameters}
        for parameter in signature.parameters.values():
            if parameter.name not in given and parameter.default is not None:
                parameters.append(
                    {"name": parameter.name, "type": parameter.type, "value": parameter.default}
                )
    return resolved


def prepare_ob(ob: object, ip: InstrumentPackage) -> dict:
    """The OB ready for the engine (see :func:`resolve_ob`); InvalidOB naming every problem."""
    problems = validate_ob(ob, ip)
    if problems:
        raise InvalidOB(problems, ip)
    return resolve_ob(ob, ip)
