"""The literal types of the strings that cross the native boundary.

``_native`` hands these values to Python as plain ``str``; its stub
(``_native.pyi``, written by nanobind's stub generator from the bindings)
declares each as the ``Literal`` below, so code that branches on them is
type-checked without a ``cast``.

Example::

    >>> from typing import get_args
    >>> from llama_native._types import NativeFinishReason
    >>> get_args(NativeFinishReason)
    ('', 'stop', 'length', 'cancelled', 'error')
"""

from __future__ import annotations

from typing import Literal

#: Why a native ``TokenLoop`` ended (``Chunk.finish_reason``, ``TokenLoop.finish_reason``):
#: ``""`` not yet; ``"stop"`` an end-of-generation token, a stop string or the grammar's end;
#: ``"length"`` ``max_tokens`` or a full context; ``"cancelled"``; ``"error"`` the loop failed
#: (``next()`` raises the error instead).  The public results name a subset
#: (:data:`llama_native.llama_types.FinishReason`).
NativeFinishReason = Literal["", "stop", "length", "cancelled", "error"]

#: The grammar engine a generation ran on (``TokenLoop.grammar_engine``; ``"none"``: no grammar).
GrammarEngineName = Literal["none", "gbnf", "llguidance"]

#: The ``grammar_engine`` setting of ``Llama`` (``"auto"``: llguidance where it serves, else GBNF).
GrammarEngine = Literal["auto", "llguidance", "gbnf"]

#: The constraint kinds llguidance takes (``SamplingParams.llg_kind``; ``""``: none).
LlgKind = Literal["", "regex", "json", "json_schema", "lark", "llguidance"]

__all__ = ["GrammarEngine", "GrammarEngineName", "LlgKind", "NativeFinishReason"]
