"""The package's import graph has no cycle, type-only imports included.

A cycle (``llama.py -> _chat_api.py -> chat/completion.py -> llama.py``, once
broken only for type checking) means a layer reaches back into the one above
it.  The graph is read from the installed sources with ``ast``: every
``import``/``from ... import`` anywhere in a module counts, inside
``if TYPE_CHECKING:`` too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import llama_native

ROOT = Path(llama_native.__file__).resolve().parent


def _modules() -> dict[str, Path]:
    found = {}
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    edges = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - (node.level - 1)] if node.level else []
            target = ".".join(base + ([node.module] if node.module else []))
            subs = [f"{target}.{alias.name}" for alias in node.names]
            # `from pkg import submodule` imports the submodule; the package itself is already initialised
            candidates = [s for s in subs if s in modules or s.endswith("._native")] or [target]
        elif isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        else:
            continue
        edges.update(c for c in candidates if c in modules and c != name)
    return edges


def test_no_import_cycle_among_llama_native_modules() -> None:
    modules = _modules()
    graph = {name: _imports(name, path, modules) for name, path in modules.items()}
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycle = path[path.index(nxt):] + [nxt]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name)
    assert len(graph) > 30  # the walk saw the package
