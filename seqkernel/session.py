"""Sessions: what is loaded in an engine, written to a file and loaded back (``save``, ``session``).

A session file is JSON::

    {"seq_session": 1,
     "saved": "2026-11-22T00:40:00+00:00",
     "scripts": [{"module": "seq.samples.a", "file": "/.../samples/a.py"},
                 {"ob": {...the OB's JSON...}, "source": "/night/ob_101.json"}],
     "flags": [{"script": 0, "path": [2], "name": "a", "flags": ["SKIP"]},
               {"root": "begin", "name": "begin", "flags": ["PAUSE"]}]}

``scripts`` are the loaded scripts and OBs in the queue's order. A module is loaded
again by its name, or from ``file`` when the name cannot be imported (a script
loaded as a path). An OB is kept whole, as the engine holds it: template names
already resolved to modules, and each template variable with its current value
(``setvar`` edits included). ``flags`` are the runtime flags set, each node found
by its ``path`` of child positions below the top node of script ``script``
(begin and end nodes count) and checked by ``name``, or the ``root``'s own
``begin`` or ``end`` node (a pause before everything, or after).

Restoring adds the session's scripts to what is loaded (nothing loaded is lost),
all of them or, when one cannot be loaded, none.
"""
from __future__ import annotations

import datetime
import importlib.util
import json
import os
import pathlib
import sys
from collections.abc import Awaitable

from .states import flag_names

FORMAT = 1


class SessionError(Exception):
    """A session file that cannot be written, read or understood."""


def capture(engine) -> dict:
    """The session of ``engine``: its scripts, OBs (with variable values) and runtime flags."""
    scripts, flags = [], []
    for index, (module_name, node) in enumerate(engine.loaded()):
        scripts.append(_module_entry(module_name) if module_name is not None else _ob_entry(node))
        flags += [{"script": index, "path": path, "name": below.name, "flags": flag_names(below.flags)}
                  for path, below in _walk(node) if below.flags]
    flags += [{"root": which, "name": node.name, "flags": flag_names(node.flags)}
              for which, node in _root_endpoints(engine) if node.flags]
    return {
        "seq_session": FORMAT,
        "saved": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "scripts": scripts,
        "flags": flags,
    }


def save(engine, path: str) -> str:
    """Write the session of ``engine`` to ``path`` (replacing it whole or not at all); what to tell the operator."""
    session = capture(engine)
    target = pathlib.Path(path)
    partial = target.with_name(f".{target.name}.partial")
    try:
        partial.write_text(json.dumps(session, indent=2) + "\n", encoding="utf-8")
        os.replace(partial, target)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise SessionError(f"cannot save the session to {path}: {exc.strerror or exc}") from None
    return f"session saved to {target}: {_summary(session)}"


def restore(engine, path: str) -> Awaitable[str]:
    """Begin loading the session in file ``path`` into ``engine`` (``Engine.begin_load``);
    the awaitable finishes it, restores the flags and says what to tell the operator.

    SessionError for a file that is not a session; the engine's LoadError when a
    script or OB cannot be loaded (then nothing is).
    """
    session = read(path)
    loaded = engine.begin_load([_source(entry) for entry in session["scripts"]])
    return _restore_flags(engine, session, path, loaded)


async def _restore_flags(engine, session: dict, path: str, loaded: Awaitable[list]) -> str:
    nodes = await loaded
    lines = [f"session {path} restored: {_summary(session)}"]
    for flag in session["flags"]:
        node = dict(_root_endpoints(engine)).get(flag["root"]) if "root" in flag else _find(nodes, flag)
        if node is None:
            lines.append(f"  flag {'|'.join(flag['flags'])} of {flag['name']} not restored: "
                         "its script no longer has that node")
            continue
        for name in ("pause", "skip"):
            engine.set_flag(node.sn, name, name.upper() in flag["flags"])
    return "\n".join(lines)


def read(path: str) -> dict:
    """The session in file ``path``, checked; SessionError saying what is wrong."""
    try:
        session = json.loads(pathlib.Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise SessionError(f"cannot read session file {path}: {exc.strerror or exc}") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise SessionError(f"session file {path} is not JSON: {exc}") from None
    if not isinstance(session, dict) or session.get("seq_session") != FORMAT:
        raise SessionError(f"{path} is not a session file saved by seq (no \"seq_session\": {FORMAT})")
    scripts, flags = session.get("scripts"), session.get("flags", [])
    if not isinstance(scripts, list) or not all(_is_script(entry) for entry in scripts):
        raise SessionError(f"session file {path}: \"scripts\" must list modules and OBs")
    if not isinstance(flags, list) or not all(_is_flag(flag, len(scripts)) for flag in flags):
        raise SessionError(f"session file {path}: malformed \"flags\"")
    return {"scripts": scripts, "flags": flags}


def _module_entry(name: str) -> dict:
    entry = {"module": name}
    module_file = getattr(sys.modules.get(name), "__file__", None)
    if module_file:
        entry["file"] = os.path.abspath(module_file)
    return entry


def _ob_entry(ob) -> dict:
    """The OB as it stands: its templates in their order, each variable at its current value."""
    entry = {"ob": ob.current_data()}
    if ob.source:
        entry["source"] = ob.source
    return entry


def _source(entry: dict) -> tuple:
    """What ``Engine.load_all`` takes for a session's script entry."""
    if "ob" in entry:
        return ("ob", entry["ob"], entry.get("source"))
    name = entry["module"]
    try:
        importable = importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        importable = False
    return ("module", name if importable or "file" not in entry else entry["file"])


def _walk(node, path=()):
    """``(path, node)`` for ``node`` and every node below it, ``path`` the child positions leading there."""
    yield list(path), node
    for position, child in enumerate(node.subnodes):
        yield from _walk(child, (*path, position))


def _root_endpoints(engine):
    """``("begin", node)`` and ``("end", node)`` of the engine's root, once it has them."""
    return [(which, node) for which, node in (("begin", engine.root.begin), ("end", engine.root.end))
            if node is not None]


def _find(tops: list, flag: dict):
    node = tops[flag["script"]]
    for position in flag["path"]:
        below = node.subnodes
        if position >= len(below):
            return None
        node = below[position]
    return node if node.name == flag["name"] else None


def _is_script(entry) -> bool:
    if not isinstance(entry, dict):
        return False
    if "ob" in entry:
        return isinstance(entry["ob"], dict) and isinstance(entry.get("source", ""), str)
    return isinstance(entry.get("module"), str) and isinstance(entry.get("file", ""), str)


def _is_flag(flag, script_count: int) -> bool:
    if not isinstance(flag, dict):
        return False
    where = flag.get("root") in ("begin", "end") if "root" in flag else (
        isinstance(flag.get("script"), int) and 0 <= flag["script"] < script_count
        and isinstance(flag.get("path"), list) and all(isinstance(p, int) and p >= 0 for p in flag["path"])
    )
    return (
        where
        and isinstance(flag.get("name"), str)
        and isinstance(flag.get("flags"), list) and set(flag["flags"]) <= {"PAUSE", "SKIP"}
    )


def _summary(session: dict) -> str:
    modules = sum(1 for entry in session["scripts"] if "module" in entry)
    obs = len(session["scripts"]) - modules
    return f"{modules} module(s), {obs} OB(s), {len(session['flags'])} runtime flag(s)"
