"""The manual's import paths: ``seq.lib...`` (the script API) and ``seq.samples`` (the samples).

``seq.samples`` *is* the top-level ``samples`` package, and a sample module has
one identity whichever way it is imported: ``seq.samples.a`` is the module
(its logger is named ``seq.samples.a``, as in the manual) and ``samples.a`` is
another name for the same object, so there are never two copies of a script.
"""
import importlib
import importlib.abc
import importlib.util
import sys

__version__ = "0.1.0"
"""seq's version (the one place it is written: setup.cfg reads it from here)."""

_PACKAGE = "samples"
_CANONICAL = "seq.samples"


class _SamplesAlias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Resolves ``seq.samples`` to the ``samples`` package and ``samples.X`` to ``seq.samples.X``."""

    def __init__(self):
        self._specs = {}  # canonical module name -> its own spec, while an alias is being set up

    def find_spec(self, fullname, path=None, target=None):
        if fullname == _CANONICAL or fullname.startswith(_PACKAGE + "."):
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec):
        module = importlib.import_module(_PACKAGE if spec.name == _CANONICAL else "seq." + spec.name)
        self._specs[module.__name__] = module.__spec__  # importlib sets the alias's spec on it next
        return module

    def exec_module(self, module):
        """The module was executed under its canonical name: give it back its own spec, so that
        ``importlib.reload`` (a load of an edited script) reloads it under that name."""
        module.__spec__ = self._specs.pop(module.__name__, module.__spec__)


if not any(isinstance(finder, _SamplesAlias) for finder in sys.meta_path):
    sys.meta_path.insert(0, _SamplesAlias())
