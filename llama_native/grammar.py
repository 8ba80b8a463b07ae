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
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from . import _native

if TYPE_CHECKING:
    from .schema import JsonSchemaGrammar


class LlamaGrammar:
    """A parsed GBNF grammar (the text plus its root rule name)."""

    def __init__(
        self,
        grammar: str,
        root: str = "root",
        *,
        trigger_patterns: Sequence[str] | None = None,
        trigger_tokens: Sequence[int] | None = None,
        end_check: Callable[[str], bool] | None = None,
    ) -> None:
        if not isinstance(grammar, str):
            raise TypeError(f"grammar must be a GBNF string, not {type(grammar).__name__}")
        _native.validate_grammar(grammar, root)
        self._grammar = grammar
        self.root = root
        #: set when the grammar was compiled from a JSON Schema; outputs are validated against it
        self.json_schema: JsonSchemaGrammar | None = None
        #: a lazy grammar leaves the output free until one of these regexes
        #: matches it (or a trigger token appears), then constrains it from the
        #: match (its first capture group) onwards
        self.trigger_patterns: list[str] = list(trigger_patterns or [])
        self.trigger_tokens: list[int] = [int(t) for t in trigger_tokens or []]
        #: text the prompt already ends with that the grammar reads first (a
        #: chat template's assistant-turn opening, for llama.cpp's tool-call
        #: grammars); the output is what follows it
        self.prefill = ""
        #: the grammar lets a reasoning block come before what it constrains (chat.thinking_grammar)
        self.thinking = False
        #: ``end_check(text) -> bool`` vets the whole output whenever a token
        #: would complete the grammar's value; a refused token is never sampled
        self.end_check = end_check
        #: Lark text for llguidance when llguidance's own JSON Schema compiler made
        #: the grammar (there is no GBNF then: it runs on the llguidance engine only)
        self.llguidance_lark: str | None = None

    @classmethod
    def from_lark(cls, lark: str) -> LlamaGrammar:
        """A grammar in llguidance's Lark syntax; it runs on the llguidance engine only.

        Raises ``ValueError`` with llguidance's message when it refuses the grammar.

        Example::

            >>> g = LlamaGrammar.from_lark('start: %json {"type": "integer", "maximum": 9}')
            >>> g.accepts("7"), g.accepts("12")
            (True, False)
        """
        from ._llguidance import lark_error

        error = lark_error(lark)
        if error:
            raise ValueError(f"llguidance refuses the grammar: {error}")
        grammar = cls.__new__(cls)
        grammar._grammar, grammar.root = "", "root"
        grammar.json_schema = None
        grammar.trigger_patterns, grammar.trigger_tokens = [], []
        grammar.prefill = ""
        grammar.thinking = False
        grammar.end_check = None
        grammar.llguidance_lark = lark
        return grammar

    @property
    def lazy(self) -> bool:
        """True when the grammar waits for a trigger before it constrains anything."""
        return bool(self.trigger_patterns or self.trigger_tokens)

    @classmethod
    def from_string(cls, grammar: str, verbose: bool = True, root: str = "root") -> LlamaGrammar:
        """Parse a GBNF grammar; raises ``ValueError`` naming the problem."""
        del verbose  # accepted for llama-cpp-python compatibility
        return cls(grammar, root)

    @classmethod
    def from_file(cls, file: str | os.PathLike, verbose: bool = True, root: str = "root") -> LlamaGrammar:
        """Read and parse a ``.gbnf`` file."""
        del verbose
        with open(file, encoding="utf-8") as handle:
            return cls(handle.read(), root)

    @classmethod
    def from_json_schema(
        cls,
        json_schema: Any,
        verbose: bool = True,
        *,
        prop_order: Sequence[str] | None = None,
        whitespace: str = "lcp",
        strict: bool = False,
        additional_properties: bool | None = False,
        key_order: str = "required-first",
        compiler: str = "auto",
    ) -> LlamaGrammar:
        """Grammar of every JSON text that validates against ``json_schema``.

        ``json_schema`` is a dict, a JSON string, a pydantic model or a
        TypedDict.  The defaults give llama-cpp-python's language (its
        ``SchemaConverter``): one optional space between JSON tokens
        (``whitespace="lcp"``), an object's required keys before its optional
        ones, each group in the schema's order (``key_order="required-first"``),
        and no keys beyond the declared ones unless the schema allows them
        (``additional_properties=False``).  ``prop_order`` lists keys to put
        first (also in nested objects).

        Other choices: ``whitespace="free"`` lets the model write what it would
        between JSON tokens (nothing, a space, or newlines with a bounded indent,
        as llama.cpp's converter does; what the server and the integrations use);
        ``"llama-server"`` is llama.cpp's converter's exact rule; ``"compact"``
        allows none; ``"pretty"`` a space or a newline with an indent.
        ``key_order="schema"`` keeps the schema's order; ``"any"`` accepts declared
        keys in any order.  ``additional_properties=None`` follows JSON Schema
        (extra keys allowed unless ``additionalProperties`` says; none for a
        pydantic model or TypedDict); ``True`` allows them everywhere.  Keywords
        the grammar cannot enforce are validated on the final output;
        ``strict=True`` refuses them instead (``UnsupportedSchemaError``).
        ``compiler="auto"`` uses our converter, or llguidance's own compiler for
        a schema ours cannot read; such a grammar runs on the llguidance engine.
        See :func:`llama_native.schema.compile_json_schema`.

        Example::

            >>> g = LlamaGrammar.from_json_schema({"type": "array", "items": {"type": "integer"}, "maxItems": 2})
            >>> g.accepts("[1,2]"), g.accepts("[ 1, 2 ]"), g.accepts("[1,2,3]")
            (True, True, False)
            >>> person = {"type": "object", "properties": {"nick": {"type": "string"}, "age": {"type": "integer"}},
            ...           "required": ["age"]}
            >>> g = LlamaGrammar.from_json_schema(person)
            >>> g.accepts('{"age": 3, "nick": "J"}'), g.accepts('{"nick": "J", "age": 3}'), g.accepts('{"age":3,"x":1}')
            (True, False, False)
            >>> free = LlamaGrammar.from_json_schema(person, whitespace="free", key_order="schema")
            >>> free.accepts('{"nick":"J","age":3}')
            True
        """
        del verbose
        from .schema import compile_json_schema

        compiled = compile_json_schema(
            json_schema,
            prop_order=prop_order,
            whitespace=whitespace,
            strict=strict,
            additional_properties=additional_properties,
            key_order=key_order,
            compiler=compiler,
        )
        if compiled.llguidance_lark is not None:
            grammar = cls.from_lark(compiled.llguidance_lark)
            grammar.json_schema = compiled
            return grammar
        # keywords the grammar relaxes are checked wherever the value would end
        grammar = cls(compiled.gbnf, end_check=compiled.is_valid_text if compiled.needs_end_check else None)
        grammar.json_schema = compiled
        return grammar

    @property
    def grammar(self) -> str:
        """The GBNF text (empty for a grammar llguidance's compiler made: see ``llguidance_lark``)."""
        return self._grammar

    def accepts(self, text: str) -> bool:
        """True when the grammar accepts ``text`` as a complete output.

        Runs llama.cpp's own grammar engine character by character (llguidance
        for a grammar its compiler made); no model is needed.
        """
        if self.llguidance_lark is not None:
            from ._llguidance import lark_accepts

            return lark_accepts(self.llguidance_lark, text)
        return _native.grammar_accepts(self._grammar, self.root, ("" if self.lazy else self.prefill) + text)

    def __repr__(self) -> str:
        text = self.llguidance_lark or self._grammar
        head = text if len(text) < 60 else text[:57] + "..."
        return f"LlamaGrammar({head!r})"


def as_grammar(grammar: None | str | LlamaGrammar) -> None | LlamaGrammar:
    """Accept a ``LlamaGrammar`` or GBNF text (or None)."""
    if grammar is None or isinstance(grammar, LlamaGrammar):
        return grammar
    if isinstance(grammar, str):
        return LlamaGrammar(grammar)
    raise TypeError(f"grammar must be a LlamaGrammar or a GBNF string, not {type(grammar).__name__}")
