"""The typed boundary: ``_native.pyi`` documents every binding and names its strings' literal types."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import get_args

import pytest

from llama_native import _native, _types

STUB = Path(_native.__file__).with_name("_native.pyi")


def _tree() -> ast.Module:
    return ast.parse(STUB.read_text(encoding="utf-8"))


def _is_setter(node: ast.FunctionDef) -> bool:
    return any(isinstance(d, ast.Attribute) and d.attr == "setter" for d in node.decorator_list)


def _members(tree: ast.Module) -> dict[str, ast.FunctionDef]:
    """Each function of the stub by ``name`` or ``Class.name`` (property getters, not setters)."""
    out: dict[str, ast.FunctionDef] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            out[node.name] = node
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and not _is_setter(item):
                    out[f"{node.name}.{item.name}"] = item
    return out


def _literal(annotation: ast.expr | None) -> tuple[str, ...]:
    assert isinstance(annotation, ast.Subscript) and ast.unparse(annotation.value) == "Literal", ast.dump(annotation)
    elements = annotation.slice.elts if isinstance(annotation.slice, ast.Tuple) else [annotation.slice]
    return tuple(ast.literal_eval(e) for e in elements)


def test_stub_documents_every_function_and_class() -> None:
    tree = _tree()
    assert ast.get_docstring(tree)
    undocumented = [
        f"{parent}{node.name}"
        for parent, nodes in [("", tree.body)]
        + [(f"{c.name}.", c.body) for c in tree.body if isinstance(c, ast.ClassDef)]
        for node in nodes
        if isinstance(node, (ast.FunctionDef, ast.ClassDef))
        and not (isinstance(node, ast.FunctionDef) and _is_setter(node))
        and not ast.get_docstring(node)
    ]
    assert undocumented == []


@pytest.mark.parametrize(
    ("member", "alias"),
    [
        ("Chunk.finish_reason", _types.NativeFinishReason),
        ("TokenLoop.finish_reason", _types.NativeFinishReason),
        ("TokenLoop.grammar_engine", _types.GrammarEngineName),
        ("SamplingParams.llg_kind", _types.LlgKind),
    ],
)
def test_stub_literals_are_the_python_aliases(member: str, alias: object) -> None:
    assert _literal(_members(_tree())[member].returns) == get_args(alias)


def test_callbacks_are_typed_callables() -> None:
    members = _members(_tree())
    for name, expected in [
        ("set_log_sink", "Callable[[int, str], object] | None"),
        ("TokenLoop.set_end_check", "Callable[[str], bool] | None"),
        ("Model.__init__", "Callable[[float], bool | None] | None"),
    ]:
        annotations = [ast.unparse(a.annotation) for a in members[name].args.args if a.annotation is not None]
        assert expected in annotations, (name, annotations)
    for name in ("set_logits_processor", "set_stopping_criteria"):
        (hook,) = [a for a in members[f"TokenLoop.{name}"].args.args if a.arg != "self"]
        assert ast.unparse(hook.annotation).startswith("Callable[[NDArray[numpy.int32], NDArray[numpy.float32]], ")


def test_llg_kind_takes_only_llguidance_kinds() -> None:
    params = _native.SamplingParams()
    for kind in get_args(_types.LlgKind):
        params.llg_kind = kind
        assert params.llg_kind == kind
    with pytest.raises(ValueError, match="llg_kind must be one of '', 'regex', .* got 'gbnf'"):
        params.llg_kind = "gbnf"
    assert params.llg_kind == "llguidance"
