"""The sequencer's configuration file (manual 4.3).

A YAML file with a ``seq_server`` section, an optional ``otto`` section, and, for
an observatory of many sequencers, ``scripts`` and ``obsmodes`` sections (see
:mod:`seqclient.observatory`)::

    seq_server:
      url: pl3.pl.eso.org:8000     # [HOST:]PORT of the sequencer server
      loglevel: INFO
    otto:
      url: http://127.0.0.1:5000/  # where OTTO (or tino) answers
      insid: FORS2                 # the instrument
      mode: VM
      user: pippo
      password: 123

The path given is used as is when absolute; a relative path is looked up in each
folder of ``CFGPATH`` in turn, then in the current directory. Without a file, the
server is ``<hostname>:8000`` and the log level ``INFO``, with no OTTO.
"""
from __future__ import annotations

import dataclasses
import os
import pathlib
import socket
from collections.abc import Mapping

import yaml

import protocol
from seqclient.observatory import ObservatoryError, ObsMode, ScriptChoice, parse_obsmodes, parse_scripts


DEFAULT_SERVER_PORT = 8000


def cfgpath_folders(environ: Mapping[str, str] | None = None) -> list[pathlib.Path]:
    """The folders named by ``CFGPATH`` (several may be given, separated by ``os.pathsep``)."""
    value = (os.environ if environ is None else environ).get("CFGPATH", "")
    return [pathlib.Path(part) for part in value.split(os.pathsep) if part]


class ConfigError(Exception):
    """A configuration file that cannot be found, parsed or understood."""


@dataclasses.dataclass(frozen=True)
class OttoConfig:
    url: str
    insid: str | None = None
    mode: str | None = None
    user: str | None = None
    password: str | None = None


@dataclasses.dataclass(frozen=True)
class Config:
    server_url: str
    loglevel: str = "INFO"
    otto: OttoConfig | None = None
    path: pathlib.Path | None = None
    scripts: Mapping[str, Mapping[str, ScriptChoice]] = dataclasses.field(default_factory=dict)
    obsmodes: Mapping[str, ObsMode] = dataclasses.field(default_factory=dict)

    @property
    def server_address(self) -> tuple[str, int]:
        """``seq_server.url`` as (host, port); a bare port means this host."""
        host, _, port = self.server_url.rpartition(":")
        return host or socket.gethostname(), int(port)


def default_config() -> Config:
    return Config(server_url=f"{socket.gethostname()}:{DEFAULT_SERVER_PORT}")


def find_config(name: str | os.PathLike, environ: Mapping[str, str] | None = None) -> pathlib.Path:
    """The file ``name`` designates: itself when absolute, else the first match in
    the ``CFGPATH`` folders, then the current directory; ConfigError listing where
    it looked when there is none."""
    path = pathlib.Path(name)
    candidates = [path] if path.is_absolute() else [
        *(folder / path for folder in cfgpath_folders(environ)), path
    ]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    searched = ", ".join(str(c) for c in candidates)
    hint = "" if path.is_absolute() or cfgpath_folders(environ) else " (CFGPATH is not set)"
    raise ConfigError(f"configuration file {name} not found: looked for {searched}{hint}")


def load_config(name: str | os.PathLike | None, environ: Mapping[str, str] | None = None) -> Config:
    """The configuration in file ``name`` (see :func:`find_config`); the defaults when None."""
    if name is None:
        return default_config()
    path = find_config(name, environ)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read configuration file {path}: {exc.strerror}") from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigError(f"configuration file {path} is not valid YAML: {exc}") from None
    try:
        return dataclasses.replace(parse_config(data), path=path)
    except ConfigError as exc:
        raise ConfigError(f"configuration file {path}: {exc}") from None


def parse_config(data: object) -> Config:
    """A Config from the parsed YAML document; ConfigError naming what is wrong."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError("expected sections seq_server, otto, scripts and obsmodes, found a " + type(data).__name__)
    unknown = sorted(set(data) - {"seq_server", "otto", "scripts", "obsmodes"}, key=str)
    if unknown:
        hint = ""
        if set(unknown) & {f.name for f in dataclasses.fields(OttoConfig)}:
            hint = " (the keys of a section are indented below its name)"
        raise ConfigError(f"unknown section(s) {', '.join(map(str, unknown))}{hint}")

    server = _section(data, "seq_server", {"url", "loglevel"})
    defaults = default_config()
    server_url = _text(server, "seq_server", "url") or defaults.server_url
    if server_url.isdigit():
        server_url = f"{socket.gethostname()}:{server_url}"
    port = server_url.rpartition(":")[2]
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(f"seq_server.url must be [HOST:]PORT, got {server_url!r}")
    try:
        loglevel = protocol.log_level(_text(server, "seq_server", "loglevel") or defaults.loglevel)
    except ValueError as exc:
        raise ConfigError(f"seq_server.loglevel: {exc}") from None

    otto = parse_otto(data["otto"]) if "otto" in data else None
    try:
        scripts = parse_scripts(data.get("scripts"))
        obsmodes = parse_obsmodes(data.get("obsmodes"), scripts)
    except ObservatoryError as exc:
        raise ConfigError(str(exc)) from None
    return Config(server_url=server_url, loglevel=loglevel, otto=otto, scripts=scripts, obsmodes=obsmodes)


def parse_otto(section: object) -> OttoConfig:
    """The ``otto`` section's settings, checked; ConfigError naming what is wrong."""
    fields = {f.name for f in dataclasses.fields(OttoConfig)}
    section = _section({"otto": section}, "otto", fields)
    values = {name: _text(section, "otto", name) for name in fields}
    url = values.pop("url")
    if not url:
        raise ConfigError("otto.url is missing (e.g. http://127.0.0.1:5000/)")
    if not url.startswith(("http://", "https://")):
        raise ConfigError(f"otto.url must start with http:// or https://, got {url!r}")
    return OttoConfig(url=url, **values)


def change_otto(otto: OttoConfig | None, settings: Mapping[str, str]) -> OttoConfig:
    """``otto`` with some settings changed (``{"url": ..., "insid": ...}``, as the GUI's
    OTTO Config dialog sends them; an empty value clears one); ConfigError when the
    result is not a valid otto section."""
    current = dataclasses.asdict(otto) if otto is not None else {}
    merged = {**current, **{key: value or None for key, value in settings.items()}}
    return parse_otto({key: value for key, value in merged.items() if value is not None})


def otto_settings(otto: OttoConfig) -> dict:
    """The settings to show an operator: all but the password."""
    return {key: value for key, value in dataclasses.asdict(otto).items() if key != "password"}


def _section(data: dict, name: str, keys: set[str]) -> dict:
    section = data.get(name) or {}
    if not isinstance(section, dict):
        raise ConfigError(f"section {name} must hold keys {', '.join(sorted(keys))}")
    unknown = sorted(set(section) - keys, key=str)
    if unknown:
        raise ConfigError(
            f"unknown key(s) {', '.join(map(str, unknown))} in section {name}"
            f" (known: {', '.join(sorted(keys))})"
        )
    return section


def _text(section: dict, name: str, key: str) -> str | None:
    """A scalar value as text (YAML reads ``password: 123`` as a number)."""
    value = section.get(key)
    if value is None:
        return None
    if isinstance(value, (dict, list)):
        raise ConfigError(f"{name}.{key} must be a single value, got {value!r}")
    return str(value)
