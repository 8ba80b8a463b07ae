"""llguidance as the grammar engine for JSON Schema constraints.

llguidance (a pip-installable wheel) computes a token mask for a 128k
vocabulary in tens of microseconds and jumps over text the grammar forces,
where llama.cpp's GBNF engine scans the vocabulary token by token.  Its wheel
ships a shared library that exports the C API llama.cpp's own optional
llguidance sampler uses; the native extension loads that library at run time
(``_native.llg_load``), so nothing in the build depends on it and the GBNF
engine stays for raw grammars, lazy (tool-call) grammars, other whitespace
styles, schemas llguidance refuses, and machines without the wheel.

Only the library's location is looked up here: the ``llguidance`` Python
package is imported only to translate a grammar or to check a text without
a model (``import llama_native`` stays fast).

``LLAMA_NATIVE_GRAMMAR_ENGINE`` (``auto``, the default; ``llguidance``;
``gbnf``) sets the default of ``Llama(grammar_engine=...)``.

Example::

    >>> from llama_native import _llguidance
    >>> _llguidance.resolve_engine("gbnf")
    'gbnf'
"""

from __future__ import annotations

import functools
import importlib.util
import os
import re
import threading
from pathlib import Path
from typing import Any

from . import _native
from ._types import GrammarEngine

ENGINE_ENV = "LLAMA_NATIVE_GRAMMAR_ENGINE"
ENGINES: tuple[GrammarEngine, ...] = ("auto", "llguidance", "gbnf")
_lock = threading.Lock()
_load_error: str | None = None
_tried = False


def _library_path() -> Path | None:
    spec = importlib.util.find_spec("llguidance")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        for candidate in sorted(Path(folder).glob("_lib*.so")) + sorted(Path(folder).glob("_lib*.dylib")):
            return candidate
    return None


def available() -> bool:
    """True when the llguidance library is installed and loaded (loads it on first call)."""
    global _tried, _load_error
    with _lock:
        if not _tried:
            _tried = True
            path = _library_path()
            if path is None:
                _load_error = "the llguidance package is not installed (pip install llguidance)"
            else:
                try:
                    _native.llg_load(str(path))
                except RuntimeError as exc:
                    _load_error = str(exc)
    return _native.llg_available()


def unavailable_reason() -> str | None:
    """Why llguidance cannot be used (None when it can)."""
    return None if available() else _load_error


def resolve_engine(engine: str | None) -> GrammarEngine:
    """Validate an engine name; None means ``$LLAMA_NATIVE_GRAMMAR_ENGINE`` or ``auto``."""
    if engine is None:
        engine = os.environ.get(ENGINE_ENV, "auto") or "auto"
    if engine not in ENGINES:
        raise ValueError(f"grammar_engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    if engine == "llguidance" and not available():
        raise ValueError(f"grammar_engine='llguidance' is not available: {unavailable_reason()}")
    return engine


class _ByteTokenizer:
    """One token per byte, and an end token: lets llguidance's matcher read any text without a model."""

    eos_token_id = 256
    bos_token_id = None
    tokens = [bytes([i]) for i in range(256)] + [b"\xff[EOS]"]
    special_token_ids = [256]

    def __call__(self, text: bytes) -> list[int]:
        return list(text)


@functools.lru_cache(maxsize=1)
def _byte_tokenizer() -> Any:
    import llguidance

    return llguidance.LLTokenizer(llguidance.TokenizerWrapper(_ByteTokenizer()))


def lark_error(lark: str) -> str:
    """Llguidance's complaint about a Lark grammar ("" when it takes it)."""
    try:
        import llguidance
    except ImportError:
        return "the llguidance package is not installed (pip install llguidance)"
    return str(llguidance.LLMatcher.validate_grammar(llguidance.LLMatcher.grammar_from_lark(lark)))


@functools.lru_cache(maxsize=256)
def lark_takes(lark: str) -> bool:
    """Whether llguidance takes a Lark grammar (remembered: requests repeat their grammars)."""
    return lark_error(lark) == ""


def lark_accepts(lark: str, text: str) -> bool:
    """Whether llguidance accepts ``text`` as a complete output of a Lark grammar (no model needed)."""
    import llguidance

    matcher = llguidance.LLMatcher(_byte_tokenizer(), llguidance.LLMatcher.grammar_from_lark(lark), log_level=0)
    return bool(matcher.consume_tokens(list(text.encode("utf-8"))) and matcher.is_accepting())


# Our converter's character classes exclude surrogates and code points above
# U+10FFFF for llama.cpp's engine; llguidance matches Unicode scalars only.
_GBNF_NON_SCALARS = r"\uD800-\uDFFF\U00110000-\U001FFFFF"
_SHORT_CODE_POINT = re.compile(r"\\U([0-9A-Fa-f]{1,7})(?![0-9A-Fa-f])")


@functools.lru_cache(maxsize=256)
def gbnf_to_llguidance(gbnf: str) -> str | None:
    """Llguidance's Lark form of a GBNF grammar given as text, or None when it has none.

    A schema's grammar does not come through here: its compile step writes
    the Lark from the same rules as its GBNF (``JsonSchemaGrammar.lark``).

    The translation is llguidance's own ``gbnf_to_lark`` (rules made only of
    terminals become lexemes, which is what makes its masks fast); two
    spellings it leaves for Rust's regex syntax are mended here: code points
    outside the BMP as ``\\U{...}``, and no class ranges beyond Unicode.  A
    grammar llguidance still refuses (e.g. nested deeper than its limit)
    stays on the GBNF engine: the native sampler falls back when the matcher
    cannot be built.
    """
    try:
        from llguidance.gbnf_to_lark import gbnf_to_lark
    except ImportError:
        return None
    try:
        lark = gbnf_to_lark(gbnf.replace(_GBNF_NON_SCALARS, ""))
    except Exception:  # its parser's own error types; any failure means "use GBNF"
        return None
    return _SHORT_CODE_POINT.sub(r"\\U{\1}", lark)
