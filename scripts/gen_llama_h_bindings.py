"""Generate ``llama_native/compat/_llama_h.py``: the rest of llama-cpp-python's low-level ``llama_cpp`` module.

llama-cpp-python 0.3.36 (MIT) binds ``llama.h`` with ctypes in
``llama_cpp/llama_cpp.py``; its vendored ``llama.h`` is the pinned one.  This
script reads that file from the sdist and writes, for every public name that
``llama_native/compat/llama_cpp.py`` does not define by hand:

* constants (``LLAMA_FTYPE_*``, ``LLAMA_VOCAB_TYPE_*``, ...), copied;
* ``*_p_ctypes`` aliases, as ``c_void_p`` (ours pass every handle as ``c_void_p``);
* structs (``llama_model_quantize_params``, ``llama_chat_message``, ...) and
  callback types, their ``_fields_`` copied;
* each ``@ctypes_function(name, argtypes, restype)`` as one ``_fn(...)`` line,
  bound in the compiled extension when it exports the symbol, else a function
  that raises ``NotImplementedError`` naming why;
* the deprecated wrappers (``llama_token_bos`` ...), which warn and call.

Usage::

    python scripts/gen_llama_h_bindings.py [SDIST]
"""

from __future__ import annotations

import ast
import re
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SDIST = Path.home() / ".cache/llama-native/llama_cpp_python-0.3.36.tar.gz"
OUT = ROOT / "llama_native/compat/_llama_h.py"
OURS = ROOT / "llama_native/compat/_llama_core.py"
CONSTANTS = ROOT / "llama_native/constants.py"

#: lcp names bound to its own loaded libllama (refused in tests/data/lcp_refused_names.json)
SKIP = {"ctypes_function"}

HEADER = '''"""The rest of llama-cpp-python's low-level ``llama_cpp`` names. GENERATED: do not edit.

Written by ``scripts/gen_llama_h_bindings.py`` from llama-cpp-python 0.3.36's
``llama_cpp/llama_cpp.py`` (MIT License, Copyright (c) 2023 Andrei Betlen; its
signatures, constants and struct fields are reused here), for the names that
``llama_native/compat/llama_cpp.py`` does not define by hand.  Functions are
bound in the compiled extension (which exports llama.cpp's symbols) as there;
one it does not export raises ``NotImplementedError`` naming it.

Example::

    >>> import llama_native.llama_cpp as llama_cpp
    >>> llama_cpp.LLAMA_FTYPE_MOSTLY_Q8_0
    7
"""

# ruff: noqa: E501, F405
from __future__ import annotations

import ctypes
import warnings
from typing import Any, NewType

from ._llama_core import *  # noqa: F403  (the hand-written bindings: their types and structs)
from ._llama_core import _lib, _native


def _fn(name: str, argtypes: list[Any], restype: Any) -> Any:
    """llama.cpp's function ``name`` with these ctypes types, or one raising NotImplementedError if not exported."""
    try:
        fn = getattr(_lib, name)
    except AttributeError:

        def missing(*args: Any) -> Any:
            raise NotImplementedError(
                f"{name} is not exported by llama_native's compiled llama.cpp ({_native.__file__}); "
                "it is not part of the pinned llama.h build"
            )

        missing.__name__ = name
        return missing
    fn.argtypes = argtypes
    fn.restype = restype
    return fn


def _deprecated(fn: Any, name: str, hint: str) -> Any:
    """``fn`` behind a DeprecationWarning, as llama-cpp-python's deprecated aliases are."""

    def wrapper(*args: Any) -> Any:
        warnings.warn(f"{name} is deprecated; {hint}", DeprecationWarning, stacklevel=2)
        return fn(*args)

    wrapper.__name__ = name
    return wrapper


'''


MTMD_OUT = ROOT / "llama_native/compat/mtmd_cpp.py"
MTMD_HEADER = '''"""llama-cpp-python's ``llama_cpp.mtmd_cpp``: libmtmd (multimodal) as ctypes functions. GENERATED: do not edit.

Written by ``scripts/gen_llama_h_bindings.py`` from llama-cpp-python 0.3.36's
``llama_cpp/mtmd_cpp.py`` (MIT License, Copyright (c) 2023 Andrei Betlen; its
signatures and struct fields are reused here).  The functions are libmtmd's,
called in llama_native's compiled extension (which links libmtmd and exports
its symbols); one it does not export raises ``NotImplementedError`` naming it.

Example::

    >>> import llama_native.mtmd_cpp as mtmd_cpp
    >>> mtmd_cpp.mtmd_default_marker()
    b'<__media__>'
"""

# ruff: noqa: E501, F405
from __future__ import annotations

import ctypes
from ctypes import CFUNCTYPE, POINTER, Structure, c_bool, c_char, c_char_p, c_float, c_int, c_int32, c_int64, c_size_t, c_uint8, c_uint32, c_void_p
import warnings
from typing import Any, NewType

from . import llama_cpp
from ._llama_h import _fn

'''


#: llama-cpp-python's three Python helpers in mtmd_cpp.py, as written there
MTMD_TAIL = '''

def mtmd_get_audio_bitrate(ctx: Any, /) -> int:
    """Deprecated: ``mtmd_get_audio_sample_rate`` under its old name."""
    warnings.warn("mtmd_get_audio_bitrate is deprecated; use mtmd_get_audio_sample_rate instead", DeprecationWarning, stacklevel=2)
    return int(mtmd_get_audio_sample_rate(ctx))


def mtmd_helper_bitmap_init_from_file(ctx: Any, fname: bytes, placeholder: bool, opt: Any = None, /) -> Any:
    """Initialize an MTMD bitmap from a file."""
    if opt is None:
        opt = mtmd_helper_init_opt_default()
    return mtmd_helper_bitmap_init_from_file_wrapper(ctx, fname, placeholder, opt).bitmap


def mtmd_helper_bitmap_init_from_buf(ctx: Any, buf: Any, length: int, placeholder: bool, opt: Any = None, /) -> Any:
    """Initialize an MTMD bitmap from a buffer."""
    if opt is None:
        opt = mtmd_helper_init_opt_default()
    return mtmd_helper_bitmap_init_from_buf_wrapper(ctx, buf, length, placeholder, opt).bitmap
'''


def _defined(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.col_offset == 0:
            names.add(node.name)
        elif isinstance(node, ast.Assign) and node.col_offset == 0:
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


def _lcp_source(sdist: Path, module: str = "llama_cpp") -> str:
    with tarfile.open(sdist) as tar:
        for member in tar.getmembers():
            if member.name.endswith(f"/llama_cpp/{module}.py") and member.name.count("/") == 2:
                file = tar.extractfile(member)
                assert file is not None
                return file.read().decode()
    raise SystemExit(f"no llama_cpp/{module}.py in {sdist}")


def _one_line(text: str) -> str:
    text = re.sub(r"#[^\n]*", "", text)
    text = re.sub(r"\s*\n\s*", " ", text)
    text = re.sub(r"([\[(]) ", r"\1", text)
    return re.sub(r",? ([\])])", r"\1", text)


def generate(sdist: Path, module: str = "llama_cpp", header: str = HEADER) -> tuple[str, list[str], list[str]]:
    """The module's text, the names it defines, and lcp's hand-written functions left to write by hand."""
    src = _lcp_source(sdist, module)
    ours = _defined(OURS) | _defined(CONSTANTS) if module == "llama_cpp" else set()
    out: list[str] = []
    names: list[str] = []
    by_hand: list[str] = []

    def emit(name: str, line: str) -> None:
        out.append(line)
        if not name.startswith("_"):
            names.append(name)

    for node in ast.parse(src).body:
        seg = ast.get_source_segment(src, node) or ""
        if isinstance(node, ast.Assign) and len(node.targets) > 1:  # A = B = 2
            new = [t.id for t in node.targets if isinstance(t, ast.Name) and t.id not in ours]
            if new:
                emit(new[0], _one_line(seg))
                names.extend(new[1:])
        elif isinstance(node, ast.Assign):
            target = node.targets[0]
            if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name):
                if target.value.id not in ours and target.attr == "_fields_":
                    out.append(_one_line(seg))
                continue
            if not isinstance(target, ast.Name):
                continue
            name = target.id
            if name.startswith("_") or name in ours or name in SKIP or name.startswith("_lib"):
                continue
            if name.endswith("_ctypes"):
                emit(name, f"{name} = ctypes.c_void_p")
            elif isinstance(node.value, ast.Call) and isinstance(node.value.func, ast.Name) and node.value.func.id == "NewType":
                emit(name, _one_line(seg))
            else:
                emit(name, _one_line(seg))
        elif isinstance(node, ast.ClassDef):
            if node.name in ours:
                continue
            base = ast.get_source_segment(src, node.bases[0]) if node.bases else "ctypes.Structure"
            fields = [b for b in node.body if isinstance(b, ast.Assign) and isinstance(b.targets[0], ast.Name)]
            doc = ast.get_docstring(node) or f"llama.h's ``{node.name}``."
            doc = doc.strip().splitlines()[0].replace('"', "'").rstrip(".") + "."
            lines = [f"class {node.name}({base}):", f'    """{doc}"""']
            for f in fields:
                lines.append("    " + _one_line(ast.get_source_segment(src, f) or ""))
            emit(node.name, "\n".join(lines) + "\n")
        elif isinstance(node, ast.FunctionDef):
            if node.name.startswith("_") or node.name in ours:
                continue
            deco = next((d for d in node.decorator_list if isinstance(d, ast.Call)), None)
            if deco is not None:
                sym = ast.literal_eval(deco.args[0])
                argtypes = _one_line(ast.get_source_segment(src, deco.args[1]) or "[]")
                restype = _one_line(ast.get_source_segment(src, deco.args[2]) or "None")
                emit(node.name, f'{node.name} = _fn("{sym}", {argtypes}, {restype})')
                continue
            first = node.body[0]
            if (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Call)
                and isinstance(first.value.func, ast.Name)
                and first.value.func.id == "_warn_deprecated"
            ):
                sym, hint = (ast.literal_eval(a) for a in first.value.args)
                out.append(f'{node.name} = _deprecated({node.name}, "{sym}", "{hint}")')
            else:
                by_hand.append(node.name)
    tail = MTMD_TAIL if module == "mtmd_cpp" else ""
    names += [n for n in by_hand if module == "mtmd_cpp"]
    text = header + "\n".join(out) + tail + "\n\n__all__ = [\n" + "".join(f'    "{n}",\n' for n in sorted(set(names))) + "]\n"
    return text, names, by_hand


def main(argv: list[str]) -> int:
    """Write the module; print what was left for hand-written code."""
    sdist = Path(argv[1]) if len(argv) > 1 else SDIST
    text, names, by_hand = generate(sdist)
    OUT.write_text(text)
    print(f"{OUT}: {len(names)} names; written by hand in llama_cpp.py: {', '.join(by_hand)}")
    text, names, by_hand = generate(sdist, "mtmd_cpp", MTMD_HEADER)
    MTMD_OUT.write_text(text)
    print(f"{MTMD_OUT}: {len(names)} names; left out (Python helpers): {', '.join(by_hand) or 'none'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
