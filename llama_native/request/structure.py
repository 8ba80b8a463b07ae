"""``StructureSpec``: what a request's output must look like, and the one place it becomes a grammar.

A request asks for structure in one of a few ways: ``response_format``
(chat), ``json_schema`` (text completion), ``grammar`` (GBNF text or a
:class:`~llama_native.LlamaGrammar`), with ``prop_order``, ``schema_prompt``
and ``json_whitespace`` refining a schema.  ``StructureSpec`` reads those
once, checks that they fit together (``ValueError`` naming the conflict) and
compiles them with :meth:`StructureSpec.compile`; :func:`choose_engine` is the
one place that decides which grammar engine runs a compiled grammar.

Example::

    >>> from llama_native.request import StructureSpec
    >>> spec = StructureSpec.for_chat(response_format={"type": "json_object"})
    >>> spec.schema
    {'type': 'object'}
    >>> spec.compile("free").accepts('{"a": 1}')
    True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from .. import _llguidance, _native
from .._types import GrammarEngine, GrammarEngineName
from ..grammar import LlamaGrammar, as_grammar
from ..schema.json_rules import LCP_JSON_GBNF, WHITESPACE_MODES


def check_whitespace(value: str | None) -> str | None:
    """``json_whitespace`` (None: the model's default), or ``ValueError`` naming the modes."""
    if value is not None and value not in WHITESPACE_MODES:
        raise ValueError(f"json_whitespace must be one of {', '.join(WHITESPACE_MODES)}, got {value!r}")
    return value


def response_format_schema(response_format: Any) -> Any:
    """The JSON schema a ``response_format`` asks for; None for plain text."""
    if response_format is None:
        return None
    if isinstance(response_format, type):  # a pydantic model or TypedDict
        return response_format
    if not isinstance(response_format, dict) or "type" not in response_format:
        raise ValueError(f"response_format must be a dict with a 'type', got {response_format!r}")
    kind = response_format["type"]
    if kind == "text":
        return None
    if kind == "json_object":
        return response_format.get("schema") or {"type": "object"}
    if kind == "json_schema":
        spec = response_format.get("json_schema")
        if not isinstance(spec, dict) or "schema" not in spec:
            raise ValueError("response_format type 'json_schema' needs {'json_schema': {'name': ..., 'schema': {...}}}")
        return spec["schema"]
    raise ValueError(f"response_format type must be 'text', 'json_object' or 'json_schema', got {kind!r}")


@dataclass(frozen=True)
class StructureSpec:
    """The structure one request asks for (all None/False: free text).

    ``schema``: the JSON schema (dict, JSON text, pydantic model or TypedDict)
    from ``response_format`` or ``json_schema``; ``grammar``: a grammar given
    as such; ``source``: which argument named the schema (for messages);
    ``response_format``: the caller's, as given (remote OpenAI servers get it).
    """

    schema: Any = None
    grammar: LlamaGrammar | None = None
    prop_order: tuple[str, ...] | None = None
    schema_prompt: bool = False
    whitespace: str | None = None
    source: Literal["response_format", "json_schema"] = "response_format"
    response_format: Any = None

    @classmethod
    def for_chat(
        cls,
        response_format: Any = None,
        grammar: None | str | LlamaGrammar = None,
        prop_order: Sequence[str] | None = None,
        schema_prompt: bool = False,
        json_whitespace: str | None = None,
    ) -> StructureSpec:
        """A chat request's structure (``response_format`` or ``grammar``)."""
        schema = response_format_schema(response_format)
        given = as_grammar(grammar)
        if schema is None and prop_order is not None:
            raise ValueError("prop_order needs a response_format with a JSON schema")
        if schema_prompt and schema is None and (given is None or given.json_schema is None):
            raise ValueError("schema_prompt=True needs a JSON schema (response_format or a grammar from a schema)")
        return cls(
            schema, given, _order(prop_order), bool(schema_prompt), check_whitespace(json_whitespace),
            "response_format", response_format,
        )  # fmt: skip

    @classmethod
    def for_completion(
        cls,
        json_schema: Any = None,
        grammar: None | str | LlamaGrammar = None,
        prop_order: Sequence[str] | None = None,
        schema_prompt: bool = False,
        json_whitespace: str | None = None,
    ) -> StructureSpec:
        """A text completion's structure (``json_schema`` or ``grammar``)."""
        if json_schema is not None and grammar is not None:
            raise ValueError("pass either grammar or json_schema, not both")
        if json_schema is None and prop_order is not None:
            raise ValueError("prop_order needs json_schema")
        given = as_grammar(grammar)
        if schema_prompt and json_schema is None and (given is None or given.json_schema is None):
            raise ValueError("schema_prompt=True needs json_schema (or a grammar from LlamaGrammar.from_json_schema)")
        return cls(
            json_schema, given, _order(prop_order), bool(schema_prompt), check_whitespace(json_whitespace),
            "json_schema",
        )  # fmt: skip

    @property
    def constrained(self) -> bool:
        """Whether the output is constrained at all."""
        return self.schema is not None or self.grammar is not None

    def compile(
        self, whitespace: str, compiler: str = "auto", additional_properties: bool | None = None
    ) -> LlamaGrammar | None:
        """The grammar: the given one, or the schema's (``whitespace``: the model's default mode).

        In ``"lcp"`` mode required keys come before optional ones, as
        llama-cpp-python's ``SchemaConverter`` places them, unless ``prop_order`` says.

        ``additional_properties=False`` closes objects that do not say (a
        chat ``response_format``, as OpenAI's structured outputs assume).
        """
        if self.schema is None:
            return self.grammar
        mode = self.whitespace or whitespace
        if mode == "lcp" and _plain_json_mode(self.response_format):
            # llama-cpp-python's JSON mode: its JSON_GBNF, whitespace and all
            return LlamaGrammar.from_string(LCP_JSON_GBNF, verbose=False)
        return LlamaGrammar.from_json_schema(
            self.schema,
            prop_order=self.prop_order,
            additional_properties=additional_properties,
            whitespace=mode,
            # llama-cpp-python's key placement too, unless the caller ordered the keys (prop_order)
            key_order="required-first" if mode == "lcp" and self.prop_order is None else "schema",
            compiler=compiler,
        )

    def prompt_schema(self, grammar: LlamaGrammar | None) -> Any:
        """The schema whose skeleton ``schema_prompt`` shows (None without ``schema_prompt``)."""
        if not self.schema_prompt:
            return None
        if grammar is not None and grammar.json_schema is not None:
            return grammar.json_schema.schema
        raise ValueError("schema_prompt=True needs a JSON schema (response_format or a grammar from a schema)")

    def completion_prompt(self, prompt: Any, grammar: LlamaGrammar | None) -> Any:
        """A text completion's prompt, led by the schema's skeleton with ``schema_prompt``."""
        schema = self.prompt_schema(grammar)
        if schema is None:
            return prompt
        if not isinstance(prompt, (str, bytes)):
            raise ValueError("schema_prompt=True needs a text prompt, not token ids")
        from ..schema import schema_system_prompt

        text = prompt.decode("utf-8") if isinstance(prompt, bytes) else prompt
        return schema_system_prompt(schema) + "\n\n" + text


def _plain_json_mode(response_format: Any) -> bool:
    """Whether ``response_format`` is JSON mode without a schema (``{"type": "json_object"}``)."""
    return isinstance(response_format, dict) and response_format.get("type") == "json_object" and (
        "schema" not in response_format
    )


def _order(prop_order: Sequence[str] | None) -> tuple[str, ...] | None:
    if prop_order is None:
        return None
    if isinstance(prop_order, str) or not all(isinstance(k, str) for k in prop_order):
        raise ValueError(f"prop_order must be a list of key names, got {prop_order!r}")
    return tuple(prop_order)


@dataclass(frozen=True)
class EngineChoice:
    """Which engine runs a grammar, and llguidance's input when it is llguidance.

    ``engine``: the native enum the sampler builds from
    (``_native.GrammarEngineKind``: ``none``, ``gbnf`` or ``llguidance``,
    whose names ``TokenLoop.grammar_engine`` reports); ``lark``: llguidance's
    input, checked by llguidance before it was chosen (nothing falls back later).
    """

    engine: _native.GrammarEngineKind
    lark: str | None = None

    @property
    def name(self) -> GrammarEngineName:
        """The engine's name, as ``TokenLoop.grammar_engine`` reports it."""
        return _ENGINE_NAMES[self.engine]


_ENGINE_NAMES: dict[_native.GrammarEngineKind, GrammarEngineName] = {
    _native.GrammarEngineKind.none: "none",
    _native.GrammarEngineKind.gbnf: "gbnf",
    _native.GrammarEngineKind.llguidance: "llguidance",
}


def choose_engine(grammar: LlamaGrammar | None, engine: GrammarEngine) -> EngineChoice:
    """The one place the grammar engine is chosen (``engine``: the ``grammar_engine`` setting).

    A grammar llguidance's JSON Schema compiler made runs on llguidance only.
    A grammar compiled from a JSON Schema (not lazy, every keyword enforced by
    the grammar) runs on llguidance when ``engine`` allows it and the library
    is there, as the Lark our compiler wrote from the same rules as its GBNF
    (the same language, so key order, prop_order and every bound hold).
    ``engine="llguidance"`` runs every non-lazy grammar on it (a grammar
    given as GBNF text through llguidance's ``gbnf_to_lark``).  A Lark
    llguidance refuses (nested deeper than its limit, say) runs on GBNF.

    >>> choose_engine(None, "auto").name
    'none'
    """
    if grammar is None:
        return EngineChoice(_native.GrammarEngineKind.none)
    if grammar.llguidance_lark is not None:
        if engine == "gbnf":
            raise ValueError("this grammar was made by llguidance's JSON Schema compiler: it runs only with "
                             "grammar_engine='llguidance' or 'auto'")
        if not _llguidance.available():
            raise ValueError(f"this grammar needs llguidance: {_llguidance.unavailable_reason()}")
        return EngineChoice(_native.GrammarEngineKind.llguidance, grammar.llguidance_lark)
    # "auto": schemas the grammar enforces whole; a schema with keywords checked where the value ends
    # (`not`, `oneOf` exclusivity, ...) stays on the GBNF engine, whose end check finds more valid endings there.
    # So does llama-cpp-python's whitespace: it samples on llama.cpp's GBNF engine, and llguidance, given the
    # same language, lets greedy decoding pick other tokens (16 of the 62 extraction replies differ).
    compiled = grammar.json_schema
    wanted = engine == "llguidance" or (
        engine == "auto" and compiled is not None and not compiled.needs_end_check and compiled.whitespace != "lcp"
    )
    if wanted and not grammar.lazy and not grammar.prefill and _llguidance.available():
        lark = _lark_of(grammar)
        if lark is not None and _llguidance.lark_takes(lark):
            return EngineChoice(_native.GrammarEngineKind.llguidance, lark)
    return EngineChoice(_native.GrammarEngineKind.gbnf)


def _lark_of(grammar: LlamaGrammar) -> str | None:
    """Llguidance's form of ``grammar``: written from the schema's rules, else translated from its GBNF."""
    compiled = grammar.json_schema
    if compiled is not None and compiled.rules is not None and compiled.gbnf == grammar.grammar:
        lark = compiled.lark
        if lark is not None:
            return lark
    return _llguidance.gbnf_to_llguidance(grammar.grammar)


def engine_params(p: _native.SamplingParams, grammar: LlamaGrammar | None, engine: GrammarEngine) -> EngineChoice:
    """Put ``grammar`` on ``p`` for the engine :func:`choose_engine` picks (``p.engine`` names it).

    Returns the choice.
    """
    choice = choose_engine(grammar, engine)
    p.engine = choice.engine
    if grammar is None:
        return choice
    if choice.engine == _native.GrammarEngineKind.llguidance:
        assert choice.lark is not None
        p.llg_kind = "lark"
        p.llg_data = choice.lark
        return choice
    p.grammar = grammar.grammar
    p.grammar_root = grammar.root
    if grammar.lazy:
        p.grammar_lazy = True
        p.grammar_trigger_patterns = list(grammar.trigger_patterns)
        p.grammar_trigger_tokens = list(grammar.trigger_tokens)
    p.grammar_prefill = grammar.prefill
    return choice
