"""A real ``redis-server`` of its own for a test or a benchmark, on a free loopback port.

Redis cannot choose a free port itself, so one is picked (the kernel's choice for a
socket bound to port 0) and tried; when another process took it meanwhile, Redis says
so and exits, and another port is tried. Nothing is saved to disk; keyspace
notifications are on, as the location service's watchers need.
"""
from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

READY = "Ready to accept connections"
START_TIMEOUT = 10
ATTEMPTS = 5


def redis_installed() -> bool:
    return shutil.which("redis-server") is not None


def _free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


@dataclass
class RedisServer:
    """A running ``redis-server``; ``restart()`` brings it back empty on the same port."""

    host: str
    port: int
    process: subprocess.Popen | None = None

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def url(self) -> str:
        """For ``SEQ_REGISTRY``."""
        return f"redis://{self.host}:{self.port}/0"

    def start(self, notifications: str = "Kg$x") -> bool:
        """Start on ``port``; False when the port was taken."""
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", self.host, "--save", "", "--appendonly", "no",
             "--notify-keyspace-events", notifications],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        deadline = time.monotonic() + START_TIMEOUT
        said = []
        for line in self.process.stdout:  # until Redis says it is ready, or why not
            said.append(line)
            if READY in line:
                # Drain what it logs later, so that a full pipe never stops it.
                threading.Thread(target=self.process.stdout.read, daemon=True).start()
                return True
            if time.monotonic() > deadline:
                break
        self.stop()
        if any("Address already in use" in line for line in said):
            return False
        raise RuntimeError(f"redis-server did not start on {self.address}:\n{''.join(said)}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
        if self.process:
            self.process.wait(timeout=10)

    def restart(self, notifications: str = "Kg$x") -> None:
        """Kill Redis (losing everything it held) and start it again on the same port."""
        self.stop()
        if not self.start(notifications):
            raise RuntimeError(f"port {self.port} was taken while Redis restarted")

    def command(self, *words: str) -> str:
        """One command through ``redis-cli`` (FLUSHALL, DBSIZE...), its reply."""
        return subprocess.run(
            ["redis-cli", "-h", self.host, "-p", str(self.port), *words],
            capture_output=True, text=True, check=True, timeout=10,
        ).stdout.strip()


@contextlib.contextmanager
def running_redis(host: str = "127.0.0.1") -> Iterator[RedisServer]:
    for _ in range(ATTEMPTS):
        server = RedisServer(host, _free_port(host))
        if server.start():
            break
    else:
        raise RuntimeError(f"no free port for redis-server after {ATTEMPTS} attempts")
    try:
        yield server
    finally:
        server.stop()
