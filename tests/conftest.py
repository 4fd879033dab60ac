"""Shared test set-up.

Child processes (kernel, shell, server) are started as ``python -m <package>``;
putting the checkout first on PYTHONPATH makes them run the code under test even
where another copy of seq is installed.
"""
import os
import pathlib

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent

os.environ["PYTHONPATH"] = os.pathsep.join(
    [str(REPO_ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
)
