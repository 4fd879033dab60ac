"""Shared test set-up.

Child processes (kernel, shell, server) are started as ``python -m <package>``;
putting the checkout first on PYTHONPATH makes them run the code under test even
where another copy of seq is installed.
"""
import os
import pathlib
import re
import subprocess
import sys

import pytest
from hypothesis import settings

# Property tests check what comes out, never how fast: on a loaded 2-core machine one example may
# take longer than hypothesis's default deadline. In CI they draw the same examples every run, so a
# red run can be replayed.
settings.register_profile("seq", deadline=None)
settings.register_profile("ci", settings.get_profile("seq"), derandomize=True)
settings.load_profile("ci" if os.environ.get("CI") else "seq")

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent

os.environ["PYTHONPATH"] = os.pathsep.join(
    [str(REPO_ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
)


@pytest.fixture(autouse=True, scope="session")
def session_directories_under_the_test_run(tmp_path_factory):
    """Shells started by tests make their session directory (``seq_session_<pid>``)
    in the temporary folder; point theirs at this run's, which pytest prunes,
    rather than at /tmp, where they would pile up."""
    os.environ["TMPDIR"] = str(tmp_path_factory.mktemp("tmp"))


@pytest.fixture(autouse=True, scope="session")
def state_directory_under_the_test_run(tmp_path_factory):
    """Servers started by tests keep their token and audit logs in the state directory: this run's,
    not the user's own."""
    os.environ["XDG_STATE_HOME"] = str(tmp_path_factory.mktemp("state"))


@pytest.fixture
def tino_url(tmp_path):
    """A tino (``seqtool.tino``) serving the FORS2 OBs of samples/obs; yields its URL."""
    tino = subprocess.Popen(
        [sys.executable, "-m", "seqtool.tino", str(REPO_ROOT / "samples" / "obs"), "--port", "0",
         "--instrument", "FORS2"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp_path,
    )
    try:
        for line in tino.stdout:  # until tino says where it listens
            if match := re.search(r"Running on (http://\S+)", line):
                yield match.group(1)
                break
        else:
            pytest.fail("tino did not start")
    finally:
        tino.terminate()
        tino.wait(timeout=30)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Under CI, a test skipped for want of something the installer installs (Chromium,
    Playwright, cryptography) fails instead: the install step, not the test, is broken."""
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("CI") and report.skipped and "is not installed" in str(report.longrepr):
        report.outcome = "failed"


@pytest.fixture
def redis_server():
    """A ``redis-server`` of this test's own on 127.0.0.1 (see tests/redis_harness.py)."""
    from redis_harness import redis_installed, running_redis

    if not redis_installed():
        pytest.skip("redis-server is not installed (scripts/install.sh installs it)")
    with running_redis() as server:
        yield server


OBSERVATORY_CONFIG = """
scripts:
  IRIS:
    IRIS_ifsonly: iris_ifsonly
    IRIS_broken: iris_broken
    IRIS_missing: no_such_module
    IRIS_ImagerAndIFS:
      script: iris_ifsonly
      variations: {IMAGER: iris_imager}
  ESW:
    IRIS_ifsonly: iris_ifsonly
"""

OBSERVATORY_SCRIPT = """
from seq.lib.nodes import Sequence

async def expose():
    pass

def create_sequence(*args, **kw):
    return Sequence.create(expose, name="{name}", **kw)
"""


@pytest.fixture
def observatory(tmp_path):
    """A folder with a configuration file of observing modes and the scripts it names, as sequence
    components' servers run in (tests/location, tests/gui)."""
    (tmp_path / "seq.yaml").write_text(OBSERVATORY_CONFIG)
    (tmp_path / "iris_ifsonly.py").write_text(OBSERVATORY_SCRIPT.format(name="IFS only"))
    (tmp_path / "iris_imager.py").write_text(OBSERVATORY_SCRIPT.format(name="Imager"))
    (tmp_path / "iris_broken.py").write_text("def create_sequence(*args, **kw):\n    raise RuntimeError('no detector')\n")
    return tmp_path
