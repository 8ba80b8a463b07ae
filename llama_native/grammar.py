"""GBNF grammars, validated by llama.cpp's own parser.

``LlamaGrammar`` mirrors llama-cpp-python's class of the same name: build it
with :meth:`LlamaGrammar.from_string` or :meth:`LlamaGrammar.from_file` and
pass it as ``grammar=`` to a completion.  An invalid grammar raises
``ValueError`` with the parser's message at construction time.

Example::

    >>> from llama_native import LlamaGrammar
    >>> g = LlamaGrammar.from_string('root ::= "yes" | "no"')
    >>> g.accepts("yes"), g.accepts("maybe")
    (True, False)
"""

from __future__ import annotations

import os
from typing import Union

from . import _native


class LlamaGrammar:
    """A parsed GBNF grammar (the text plus its root rule name)."""

    def __init__(self, grammar: str, root: str = "root") -> None:
        if not isinstance(grammar, str):
            raise TypeError(f"grammar must be a GBNF string, not {type(grammar).__name__}")
        _native.validate_grammar(grammar, root)
        self._grammar = grammar
        self.root = root

    @classmethod
    def from_string(cls, grammar: str, verbose: bool = True, root: str = "root") -> "LlamaGrammar":
        """Parse a GBNF grammar; raises ``ValueError`` naming the problem."""
        del verbose  # accepted for llama-cpp-python compatibility
        return cls(grammar, root)

    @classmethod
    def from_file(cls, file: Union[str, os.PathLike], verbose: bool = True, root: str = "root") -> "LlamaGrammar":
        """Read and parse a ``.gbnf`` file."""
        del verbose
        with open(file, encoding="utf-8") as handle:
            return cls(handle.read(), root)

    @property
    def grammar(self) -> str:
        """The GBNF text."""
        return self._grammar

    def accepts(self, text: str) -> bool:
        """True when the grammar accepts ``text`` as a complete output.

        Runs llama.cpp's own grammar engine character by character; no model
        is needed.
        """
        return _native.grammar_accepts(self._grammar, self.root, text)

    def __repr__(self) -> str:
        head = self._grammar if len(self._grammar) < 60 else self._grammar[:57] + "..."
        return f"LlamaGrammar({head!r})"


def as_grammar(grammar: Union[None, str, LlamaGrammar]) -> Union[None, LlamaGrammar]:
    """Accept a ``LlamaGrammar`` or GBNF text (or None)."""
    if grammar is None or isinstance(grammar, LlamaGrammar):
        return grammar
    if isinstance(grammar, str):
        return LlamaGrammar(grammar)
    raise TypeError(f"grammar must be a LlamaGrammar or a GBNF string, not {type(grammar).__name__}")
