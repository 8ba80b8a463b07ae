"""Every public name of llama-cpp-python 0.3.36's modules, read from its sdist's sources (not imported).

Writes ``tests/data/lcp_public_names.json``: for each llama-cpp-python module
(``llama_cpp`` for the package's ``__init__``, ``llama_cpp.llama_cpp`` for the
low-level bindings, ...) the sorted public names with their kind (``function``,
``class`` or ``value``).  A name is public when the module defines it at top
level (``def``, ``class``, an assignment, also inside top-level ``if``/``try``)
and it does not start with ``_``, or, for modules that ``import *`` re-exports
from (the package's ``__init__`` and ``llama.py``), when it comes in through a
relative or in-package import.  Names that a module imports from the standard
library or third-party packages (``os``, ``List``, ``np``) are not its API and
are left out.

Usage::

    python scripts/lcp_public_names.py [SDIST] [OUT]

Defaults: ``~/.cache/llama-native/llama_cpp_python-0.3.36.tar.gz`` and
``tests/data/lcp_public_names.json``.
"""

from __future__ import annotations

import ast
import json
import sys
import tarfile
from pathlib import Path

SDIST = Path.home() / ".cache/llama-native/llama_cpp_python-0.3.36.tar.gz"
OUT = Path(__file__).resolve().parent.parent / "tests/data/lcp_public_names.json"

#: llama-cpp-python's modules whose names ours must have (the package itself is ``llama_cpp``)
MODULES = (
    "llama_cpp",

    "llama_cpp.llama_cpp",
    "llama_cpp.llama_chat_format",
    "llama_cpp.llama_grammar",
    "llama_cpp.llama_types",
    "llama_cpp.llama_tokenizer",
    "llama_cpp.llama_speculative",
    "llama_cpp.llama_cache",
    "llama_cpp.mtmd_cpp",
    "llama_cpp.llava_cpp",
)


def _sources(sdist: Path) -> dict[str, str]:
    """``llama_cpp.<module>`` -> its source text, from the sdist's ``llama_cpp/`` folder."""
    out: dict[str, str] = {}
    with tarfile.open(sdist) as tar:
        for member in tar.getmembers():
            parts = Path(member.name).parts
            if len(parts) == 3 and parts[1] == "llama_cpp" and parts[2].endswith(".py"):
                stem = parts[2][:-3]
                name = "llama_cpp" if stem == "__init__" else f"llama_cpp.{stem}"
                file = tar.extractfile(member)
                assert file is not None
                out[name] = file.read().decode()
    return out


def _resolve(module: str, node: ast.ImportFrom) -> str | None:
    """The absolute in-package module an import names, or None for one outside llama_cpp."""
    if node.level:
        package = module if module == "llama_cpp" else module.rsplit(".", 1)[0]
        base = package.split(".")[: len(package.split(".")) - node.level + 1]
        return ".".join([*base, *([node.module] if node.module else [])])
    if node.module and (node.module == "llama_cpp" or node.module.startswith("llama_cpp.")):
        return node.module
    return None


def public_names(sources: dict[str, str], module: str, _seen: frozenset[str] = frozenset()) -> dict[str, str]:
    """``name -> kind`` for one module, following in-package star imports."""
    tree = ast.parse(sources[module])
    reexports = module in ("llama_cpp", "llama_cpp.llama")
    names: dict[str, str] = {}

    def visit(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                names[node.name] = "function"
            elif isinstance(node, ast.ClassDef):
                names[node.name] = "class"
            elif isinstance(node, ast.Assign):
                for target in node.targets:
                    for leaf in ast.walk(target):
                        if isinstance(leaf, ast.Name):
                            names.setdefault(leaf.id, "value")
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                names.setdefault(node.target.id, "value")
            elif isinstance(node, ast.If):
                visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)
                for handler in node.handlers:
                    visit(handler.body)
                visit(node.orelse)
            elif isinstance(node, ast.ImportFrom) and reexports:
                source = _resolve(module, node)
                if source is None or source not in sources or source.split(".")[-1].startswith("_"):
                    continue
                for alias in node.names:
                    if alias.name == "*":
                        if source not in _seen:
                            names.update(public_names(sources, source, _seen | {module}))
                    else:
                        names[alias.asname or alias.name] = "reexport"

    visit(tree.body)
    return {name: kind for name, kind in sorted(names.items()) if not name.startswith("_")}


def main(argv: list[str]) -> int:
    """Write the JSON list; print the count per module."""
    sdist = Path(argv[1]) if len(argv) > 1 else SDIST
    out = Path(argv[2]) if len(argv) > 2 else OUT
    sources = _sources(sdist)
    result = {module: public_names(sources, module) for module in MODULES}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"sdist": sdist.name, "modules": result}, indent=1, sort_keys=True) + "\n")
    for module, names in result.items():
        print(f"{module}: {len(names)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
