"""Shared test set-up.

Child processes (kernel, shell, server) are started as ``python -m <package>``;
putting the checkout first on PYTHONPATH makes them run the code under test even
where another copy of seq is installed.
"""
import os
import pathlib

import pytest

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
