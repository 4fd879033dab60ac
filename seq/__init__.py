"""The manual's import paths: ``seq.lib...`` (the script API) and ``seq.samples`` (the samples).

``seq.samples`` *is* the top-level ``samples`` package, and a sample module has
one identity whichever way it is imported: ``seq.samples.a`` is the module
(its logger is named ``seq.samples.a``, as in the manual) and ``samples.a`` is
another name for the same object, so there are never two copies of a script.
"""
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import types
from collections.abc import Sequence
from typing import cast

__version__ = "0.1.0"
"""seq's version (the one place it is written: setup.cfg reads it from here)."""

_PACKAGE = "samples"
_CANONICAL = "seq.samples"


class _SamplesAlias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Resolves ``seq.samples`` to the ``samples`` package and ``samples.X`` to ``seq.samples.X``."""

    def find_spec(self, fullname: str, path: Sequence[str] | None = None,
                  target: types.ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        if fullname == _CANONICAL or fullname.startswith(_PACKAGE + "."):
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        module = importlib.import_module(_PACKAGE if spec.name == _CANONICAL else "seq." + spec.name)
        spec.loader_state = module.__spec__  # importlib is about to replace it by ``spec``
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        """Nothing to run (the module was executed under its canonical name): give the module back
        its own spec, so that a reload finds its file and runs it again, under its own name."""
        module.__spec__ = cast(importlib.machinery.ModuleSpec, module.__spec__).loader_state


if not any(isinstance(finder, _SamplesAlias) for finder in sys.meta_path):
    sys.meta_path.insert(0, _SamplesAlias())
