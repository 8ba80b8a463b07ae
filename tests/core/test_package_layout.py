"""The package's layout moves no import path: compat's old flat names and ``llama_native.testing``'s names.

llama-cpp-python's module names live in ``llama_native/compat/`` and keep
their flat paths (``llama_native.llama_types``, ...) through an import hook,
for the interpreter, and one-line ``.pyi`` stubs, for type checkers.
``llama_native/testing`` is a package whose ``__init__`` keeps every name
the single module had.
"""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

import llama_native
import llama_native.compat
import llama_native.testing

OLD_NAMES = (
    "llama_cache",
    "llama_chat_format",
    "llama_cpp",
    "llama_grammar",
    "llama_speculative",
    "llama_tokenizer",
    "llama_types",
)

#: every public name of llama_native/testing.py before it became a package
TESTING_NAMES = (
    "CHATML_TEMPLATE",
    "QUANT_TYPES",
    "REAL_TOKENIZERS",
    "SMOLLM2_DISTRIBUTION",
    "SMOLLM2_FILE",
    "SMOLLM2_MISSING",
    "TEST_MMPROJ_ENV",
    "TEST_MODEL_ENV",
    "ModelSpec",
    "ProjectorSpec",
    "add_llama_hyperparameters",
    "bench_model_path",
    "cached_model_path",
    "env_mmproj_path",
    "env_model_path",
    "quantized_model_path",
    "real_tokenizer_model_path",
    "smollm2_model_path",
    "synthetic_lora_path",
    "synthetic_model_path",
    "synthetic_projector_path",
    "write_lora",
    "write_model",
    "write_projector",
)

PACKAGE_DIR = Path(llama_native.__file__).resolve().parent


def test_the_alias_table_names_exactly_the_old_modules() -> None:
    assert tuple(sorted(llama_native.compat.MODULES)) == OLD_NAMES
    assert sorted(p.stem for p in (PACKAGE_DIR / "compat").glob("llama_*.py")) == list(OLD_NAMES)


@pytest.mark.parametrize("name", OLD_NAMES)
def test_old_module_path_is_the_compat_module(name: str) -> None:
    old = importlib.import_module(f"llama_native.{name}")
    new = importlib.import_module(f"llama_native.compat.{name}")
    assert old is new
    assert sys.modules[f"llama_native.{name}"] is new
    assert getattr(llama_native, name) is new  # attribute access, as `llama_native.llama_types.X`
    assert new.__name__ == f"llama_native.compat.{name}"
    assert new.__spec__ is not None and new.__spec__.name == f"llama_native.compat.{name}"  # the alias left it alone
    public = [n for n in getattr(new, "__all__", dir(new)) if not n.startswith("_")]
    assert public
    for attr in public:  # every name the old path offers is the very object of the new one
        assert getattr(old, attr) is getattr(new, attr)


def test_from_imports_through_old_paths_give_the_same_objects() -> None:
    from llama_native.compat.llama_chat_format import Jinja2ChatFormatter as NewFormatter
    from llama_native.compat.llama_cpp import llama_batch as new_batch
    from llama_native.compat.llama_types import CompletionUsage as NewUsage
    from llama_native.llama_chat_format import Jinja2ChatFormatter
    from llama_native.llama_cpp import llama_batch
    from llama_native.llama_types import CompletionUsage

    assert Jinja2ChatFormatter is NewFormatter is llama_native.Jinja2ChatFormatter
    assert llama_batch is new_batch
    assert CompletionUsage is NewUsage
    from llama_native import llama_grammar

    assert llama_grammar is llama_native.compat.llama_grammar


def test_unknown_attribute_still_raises() -> None:
    with pytest.raises(AttributeError, match="no attribute 'llama_nonexistent'"):
        getattr(llama_native, "llama_nonexistent")
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("llama_native.llama_nonexistent")


@pytest.mark.parametrize("name", OLD_NAMES)
def test_type_checkers_see_each_old_path_through_a_stub(name: str) -> None:
    stub = PACKAGE_DIR / f"{name}.pyi"
    assert stub.read_text(encoding="utf-8").startswith(f"from llama_native.compat.{name} import *")
    assert not (PACKAGE_DIR / f"{name}.py").exists()  # a .py there would bypass the alias
    # the stub's star import exports what the module's __all__ lists, as far as a type checker can read
    # it: only a literal list of strings (mypy does not follow `[*other.__all__, ...]`)
    module = importlib.import_module(f"llama_native.compat.{name}")
    tree = ast.parse((PACKAGE_DIR / "compat" / f"{name}.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, (ast.Assign, ast.AugAssign)) and "__all__" in ast.unparse(node).split("=")[0]:
            assert isinstance(node, ast.Assign) and isinstance(node.value, ast.List), ast.unparse(node)
            listed = [ast.literal_eval(item) for item in node.value.elts]
            assert listed == module.__all__


def test_llama_chat_format_lists_every_vision_handler() -> None:
    from llama_native.chat import vision_handlers
    from llama_native.compat import llama_chat_format

    assert set(vision_handlers.__all__) <= set(llama_chat_format.__all__)


def test_old_paths_resolve_in_a_fresh_interpreter_and_nothing_is_imported_early(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "import llama_native\n"
        "assert 'llama_native.compat.llama_cpp' not in sys.modules\n"
        "assert 'llama_native.compat.llama_tokenizer' not in sys.modules\n"
        "import llama_native.llama_cpp as llama_cpp\n"
        "assert llama_cpp is sys.modules['llama_native.compat.llama_cpp']\n"
        "from llama_native.llama_tokenizer import LlamaTokenizer\n"
        "assert LlamaTokenizer.__module__ == 'llama_native.compat.llama_tokenizer'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120, cwd=tmp_path)  # (not the source tree)
    # the old path first, before the package was imported
    code = "import llama_native.llama_types as t, llama_native.compat.llama_types as c; assert t is c"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120, cwd=tmp_path)  # (not the source tree)


def test_testing_keeps_every_name_of_the_former_module() -> None:
    for name in TESTING_NAMES:
        assert hasattr(llama_native.testing, name), name
    assert set(TESTING_NAMES) <= set(llama_native.testing.__all__)
