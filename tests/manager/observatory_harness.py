"""An observatory for the sequence manager's tests: a real ``redis-server`` and real sequence
components (``seqserver --component``) on two "hosts", 127.0.0.1 and 127.0.0.2.

Starting a component takes a second (server, shell and kernel), so a test module shares
one observatory between its tests (a module-scoped fixture); each test leaves every
component idle. The scripts and the configuration file live in the observatory's folder,
the components' working directory, so their kernels import the scripts by name.
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import trio

from seqlocation import open_directory

TIMEOUT = 30
SEQTOOL = [sys.executable, "-m", "seqtool"]
SERVER = [sys.executable, "-m", "seqserver"]


@dataclass
class Component:
    name: str
    process: subprocess.Popen
    address: str

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=TIMEOUT)


@dataclass
class Observatory:
    folder: Path
    registry: str  # SEQ_REGISTRY
    components: dict[str, Component] = field(default_factory=dict)

    @property
    def config(self) -> Path:
        return self.folder / "seq.yaml"

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "SEQ_REGISTRY": self.registry, "TMPDIR": str(self.folder)}

    def start(self, *specs: str, simulation: bool = False) -> list[Component]:
        """Start components given as ``NAME@HOST`` (``ESW.ESW_1@127.0.0.2``), all at once; wait until each listens."""
        starting = []
        for spec in specs:
            name, _, host = spec.partition("@")
            log = open(self.folder / f"{name}.log", "ab")
            process = subprocess.Popen(
                [*SERVER, "--address", f"{host or '127.0.0.1'}:0", "--component", name, "--config", str(self.config),
                 *(["--simulation"] if simulation else [])],
                stdout=subprocess.PIPE, stderr=log, text=True, cwd=self.folder, env=self.env)
            log.close()
            starting.append((name, process))
        for name, process in starting:
            line = process.stdout.readline()
            match = re.fullmatch(r"seqserver listening on (\S+)\n", line)
            assert match, f"{name} did not start (it said {line!r}; see {self.folder / (name + '.log')})"
            self.components[name] = Component(name, process, match.group(1))
        return [self.components[name] for name, _ in starting]

    def stop(self) -> None:
        for component in self.components.values():
            if component.process.poll() is None:
                component.process.send_signal(signal.SIGTERM)
        for component in self.components.values():
            try:
                component.process.wait(timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                component.process.kill()
                component.process.wait()
            component.process.stdout.close()

    def sm(self, *args: str, config: Path | None = None) -> subprocess.CompletedProcess:
        """``seqtool sm ARGS`` with this observatory's configuration and registry."""
        return subprocess.run([*SEQTOOL, "sm", "--config", str(config or self.config), *args], capture_output=True,
                              text=True, env=self.env, cwd=self.folder, timeout=TIMEOUT * 2)

    def sm_json(self, *args: str) -> dict:
        return json.loads(self.sm(*args, "--json").stdout)

    def sm_process(self, *args: str) -> subprocess.Popen:
        """``seqtool sm ARGS`` started, not waited for."""
        return subprocess.Popen([*SEQTOOL, "sm", "--config", str(self.config), *args], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=self.env, cwd=self.folder)

    def directory(self) -> dict[str, dict]:
        """The location service's entries, as ``seqtool locate --json`` prints them, by name (read in a
        trio run of its own: call it from a thread in a trio test)."""
        async def read() -> dict[str, dict]:
            async with open_directory(environ={"SEQ_REGISTRY": self.registry}) as directory:
                return {entry.name: entry.to_dict() for entry in await directory.entries()}

        return trio.run(read)

    def sequencers(self) -> dict[str, str]:
        """Each registered sequencer and the component it runs on."""
        return {name: entry["component"] for name, entry in self.directory().items() if entry["kind"] == "sequencer"}


@contextlib.contextmanager
def running_observatory(folder: Path, config: str, scripts: dict[str, str], *components: str,
                        simulation: bool = False) -> Iterator[Observatory]:
    """A ``redis-server``, then ``components`` (``NAME@HOST``) started with ``config`` and ``scripts``
    (file name -> text) written in ``folder``; everything stopped at the end."""
    from redis_harness import redis_installed, running_redis

    if not redis_installed():
        pytest.skip("redis-server is not installed (scripts/install.sh installs it)")
    (folder / "seq.yaml").write_text(textwrap.dedent(config))
    for name, text in scripts.items():
        (folder / name).write_text(textwrap.dedent(text))
    with running_redis() as redis:
        observatory = Observatory(folder, redis.url)
        try:
            observatory.start(*components, simulation=simulation)
            yield observatory
        finally:
            observatory.stop()
