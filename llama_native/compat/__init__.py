"""llama-cpp-python's module names, over the llama_native API: one module here per ``llama_cpp.<name>`` module.

Code written for llama-cpp-python ports by changing the package name in its
imports: ``llama_cpp.llama_types`` becomes ``llama_native.llama_types``,
``llama_cpp.llama_chat_format`` becomes ``llama_native.llama_chat_format``, and so
on.  The modules live here, but the old flat names keep working:

* **At run time** an import hook (:class:`AliasFinder`, installed when this
  package is imported, which ``llama_native/__init__.py`` does first) maps ``llama_native.<name>`` to
  ``llama_native.compat.<name>`` for the names of :data:`ALIASES`.  Both names
  are one module object in ``sys.modules``, so
  ``llama_native.llama_types.CompletionUsage is llama_native.compat.llama_types.CompletionUsage``,
  and nothing is imported until asked for (``llama_cpp`` opens the compiled
  library with ctypes when imported).  ``llama_native.<name>`` as an attribute
  imports the module too.
* **For type checkers**, which never run import hooks, each old name has a
  one-line stub next to the package's modules, ``llama_native/<name>.pyi``:
  ``from llama_native.compat.<name> import *``.  A ``.pyi`` without a ``.py``
  is invisible to the interpreter, so the stubs cannot shadow the hook, and
  mypy (or pyright) resolves ``from llama_native.llama_cpp import llama_token``
  through them.

Example::

    >>> import llama_native.llama_grammar
    >>> import llama_native.compat.llama_grammar
    >>> llama_native.llama_grammar is llama_native.compat.llama_grammar
    True
    >>> from llama_native.llama_types import CompletionUsage
    >>> CompletionUsage is llama_native.compat.llama_types.CompletionUsage
    True
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
from collections.abc import Sequence
from types import ModuleType

#: The modules that keep their flat name, ``llama_native.<name>``, as llama-cpp-python names them
MODULES = (
    "llama_cache",
    "llama_chat_format",
    "llama_cpp",
    "llama_grammar",
    "llama_speculative",
    "llama_tokenizer",
    "llama_types",
)

#: llama-cpp-python's ctypes module for libmtmd, ``llama_cpp.mtmd_cpp``, kept under its name too
BINDING_MODULES = ("mtmd_cpp",)

#: The modules whose names ``llama_native.<name>`` also finds, as ``from llama_cpp import <name>`` does
#: (llama-cpp-python's ``__init__`` star-imports its low-level module and ``llama.py``, which has the types)
TOP_LEVEL_FROM = ("llama_types", "llama_cache", "llama_tokenizer", "llama_speculative", "llama_cpp")

#: ``llama_native.<name>`` -> ``llama_native.compat.<name>``
ALIASES = {f"llama_native.{name}": f"{__name__}.{name}" for name in (*MODULES, *BINDING_MODULES)}


class AliasFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """An import hook that makes ``llama_native.<name>`` the module ``llama_native.compat.<name>``.

    ``find_spec`` answers only for the names of :data:`ALIASES`; the loader
    imports the real module under its own name and hands that object back, so
    ``sys.modules`` holds it under both names.
    """

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        """A spec loading the real module when ``fullname`` is an old name, else None (other finders go on)."""
        if fullname not in ALIASES:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        """The real module, imported (once) under its own name."""
        module = importlib.import_module(ALIASES[spec.name])
        spec.loader_state = module.__spec__  # the import system writes the alias spec over it; exec_module restores
        return module

    def exec_module(self, module: ModuleType) -> None:
        """Nothing to run (the real module ran when imported); give it back its own ``__spec__``."""
        spec = module.__spec__
        if spec is not None and spec.name in ALIASES:
            module.__spec__ = spec.loader_state


def install_aliases() -> None:
    """Put :class:`AliasFinder` first on ``sys.meta_path`` (once: a second call changes nothing)."""
    if not any(isinstance(finder, AliasFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, AliasFinder())


install_aliases()

__all__ = ["ALIASES", "BINDING_MODULES", "MODULES", "TOP_LEVEL_FROM", "AliasFinder", "install_aliases"]
