"""Request bodies of llama-server's own routes (``/completion``, ``/tokenize``, ``/infill``, ...).

Field names and defaults are llama-server's (``tools/server/README.md`` of the
pinned llama.cpp).  Each field llama-server documents is either honoured or
accepted with the meaning written beside it; a field nobody defines is
refused (400 naming it), as on the OpenAI routes.  Fields accepted with a
fixed meaning:

* ``cache_prompt``, ``n_cache_reuse``: llama-native always reuses the longest
  cached prefix of a slot.
* ``id_slot``: the slot the request runs in (modulo the slots, waiting for it); -1: the scheduler picks.
* ``n_keep``, ``n_discard``: the context never shifts; a prompt that does not
  fit is an ``exceed_context_size_error``.
* ``repeat_last_n``: the penalties look at the model's ``last_n_tokens_size``.
* ``timings_per_token``, ``return_progress``, ``verbose``,
  ``post_sampling_probs``, ``sse_ping_interval``, ``t_max_prompt_ms``,
  ``t_max_predict_ms``, ``min_keep``, ``n_indent``, ``response_fields``:
  accepted, no effect (timings come with the last response; the server's
  ``request_timeout`` bounds a request).
* ``dry_*``, ``xtc_*``, ``dynatemp_*``, ``lora``, ``n_cmpl``: accepted at their
  neutral values (DRY, XTC and dynamic temperature off, no per-request LoRA,
  one completion); another value is refused by name.
* ``grammar_lazy`` with ``grammar_triggers``, and ``grammar_type: "tool_calls"``
  with ``generation_prompt`` (the text the grammar reads first): honoured, as
  llama-native's lazy and prefilled grammars; ``preserved_tokens``: accepted
  (triggers name token ids directly).
* ``samplers``: a sampler left out of the list is turned off (``top_k`` 0,
  ``top_p``/``typ_p`` 1, ``min_p`` 0, ``penalties`` neutral); the order is
  llama.cpp's default chain.

Example::

    >>> from llama_native.server.llama_bodies import NativeCompletionBody
    >>> body = NativeCompletionBody(prompt="Hi", n_predict=4, samplers=["top_k", "temperature"])
    >>> body.sampling()["top_p"], body.token_limit()
    (1.0, 4)
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

_FORBID = ConfigDict(extra="forbid")

#: llama-server's sampler names (``samplers``; ``typical_p`` and ``top-k`` style aliases too)
SAMPLER_NAMES = {
    "penalties": "penalties", "dry": "dry", "top_n_sigma": "top_n_sigma", "top_k": "top_k", "top-k": "top_k",
    "typ_p": "typ_p", "typical_p": "typ_p", "typ-p": "typ_p", "top_p": "top_p", "top-p": "top_p",
    "nucleus": "top_p", "min_p": "min_p", "min-p": "min_p", "xtc": "xtc", "temperature": "temperature",
    "temp": "temperature", "infill": "infill", "mirostat": "mirostat", "adaptive_p": "adaptive_p",
}  # fmt: skip

#: llama-server's default sampler chain
DEFAULT_SAMPLERS = ["penalties", "dry", "top_n_sigma", "top_k", "typ_p", "top_p", "min_p", "xtc", "temperature"]

#: fields accepted only at these (neutral) values: the feature they switch on is not in llama-native
_NEUTRAL: dict[str, Any] = {
    "dry_multiplier": 0.0, "xtc_probability": 0.0, "dynatemp_range": 0.0, "n_cmpl": 1, "lora": [],
}  # fmt: skip


class _Accepted(BaseModel):
    """Fields llama-server documents that change nothing here (see the module docstring)."""

    model_config = _FORBID
    cache_prompt: bool = True
    n_cache_reuse: int | None = None
    id_slot: int = -1
    n_keep: int = 0
    n_discard: int = 0
    repeat_last_n: int = 64
    timings_per_token: bool = False
    return_progress: bool = False
    verbose: bool = False
    post_sampling_probs: bool = False
    sse_ping_interval: int | None = None
    t_max_prompt_ms: int = -1
    t_max_predict_ms: int = -1
    min_keep: int = 0
    n_indent: int = 0
    response_fields: list[str] | None = None
    dry_multiplier: float = 0.0
    dry_base: float = 1.75
    dry_allowed_length: int = 2
    dry_penalty_last_n: int = -1
    dry_sequence_breakers: list[str] | None = None
    xtc_probability: float = 0.0
    xtc_threshold: float = 0.1
    dynatemp_range: float = 0.0
    dynatemp_exponent: float = 1.0
    lora: list[Any] = Field(default_factory=list)
    n_cmpl: int = 1

    @model_validator(mode="after")
    def _neutral(self) -> _Accepted:
        for name, neutral in _NEUTRAL.items():
            if getattr(self, name) != neutral:
                raise ValueError(f"{name}={getattr(self, name)!r} is not supported by llama-native (only {neutral!r})")
        return self


class GenerationBody(_Accepted):
    """The generation fields of ``/completion`` and ``/infill``."""

    model: str | None = None
    n_predict: int = -1
    max_tokens: int | None = None
    temperature: float = 0.8
    top_k: int = 40
    top_p: float = 0.95
    min_p: float = 0.05
    typical_p: float = 1.0
    top_n_sigma: float = -1.0
    repeat_penalty: float = 1.0
    presence_penalty: float = 0.0
    frequency_penalty: float = 0.0
    mirostat: Literal[0, 1, 2] = 0
    mirostat_tau: float = 5.0
    mirostat_eta: float = 0.1
    seed: int = -1
    stop: list[str] = Field(default_factory=list)
    stream: bool = False
    n_probs: int = Field(default=0, ge=0, le=20)
    json_schema: dict[str, Any] | None = None
    grammar: str | None = None
    logit_bias: list[list[Any]] | dict[str, float] | None = None
    ignore_eos: bool = False
    samplers: list[str] | str | None = None
    return_tokens: bool = False
    grammar_lazy: bool = False
    grammar_triggers: list[dict[str, Any]] = Field(default_factory=list)
    grammar_type: str | None = None
    generation_prompt: str = ""
    preserved_tokens: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check(self) -> GenerationBody:
        for name in self.sampler_list():
            if name not in SAMPLER_NAMES:
                names = ", ".join(DEFAULT_SAMPLERS)
                raise ValueError(f"samplers: unknown sampler {name!r} (llama-server's are {names})")
        if self.json_schema is not None and self.grammar:
            raise ValueError("json_schema and grammar cannot both be set; pass one")
        if (self.grammar_lazy or self.grammar_triggers or self.generation_prompt) and not self.grammar:
            raise ValueError("grammar_lazy, grammar_triggers and generation_prompt need a grammar")
        if self.grammar_lazy and not self.grammar_triggers:
            raise ValueError("grammar_lazy needs grammar_triggers (what starts the grammar)")
        for trigger in self.grammar_triggers:
            if trigger.get("type") not in (0, 1, 2, 3) or not isinstance(trigger.get("value"), str):
                raise ValueError(f"grammar_triggers: each is {{type: 0 token, 1 word, 2 pattern, 3 full pattern, "
                                 f"value: string}}, got {trigger!r}")  # fmt: skip
        return self

    def lazy_triggers(self) -> tuple[list[str], list[int]]:
        """``(patterns, token ids)`` of ``grammar_triggers`` (a word is an escaped pattern; a full pattern anchored)."""
        patterns: list[str] = []
        tokens: list[int] = []
        for t in self.grammar_triggers:
            kind, value = t["type"], t["value"]
            if kind == 0:
                tokens.append(int(t.get("token", value)))
            elif kind == 1:
                patterns.append(f"({re.escape(value)}[\\s\\S]*)")
            else:
                patterns.append(value if kind == 2 else f"^({value.lstrip('^').rstrip('$')})$")
        return patterns, tokens

    def sampler_list(self) -> list[str]:
        """The sampler names asked for (a string is llama-server's one-letter form, e.g. ``"kfypmt"``)."""
        if self.samplers is None:
            return list(DEFAULT_SAMPLERS)
        if isinstance(self.samplers, str):
            letters = {"e": "penalties", "d": "dry", "s": "top_n_sigma", "k": "top_k", "y": "typ_p", "p": "top_p",
                       "m": "min_p", "x": "xtc", "t": "temperature"}  # fmt: skip
            return [letters.get(c, c) for c in self.samplers]
        return list(self.samplers)

    def token_limit(self) -> int | None:
        """The token limit: ``n_predict`` (-1: until the end or a full context), else ``max_tokens``."""
        n = self.n_predict if self.n_predict != -1 or self.max_tokens is None else self.max_tokens
        return None if n < 0 else n

    def sampling(self) -> dict[str, Any]:
        """Sampling arguments for the typed request, with left-out samplers turned off."""
        chosen = {SAMPLER_NAMES[n] for n in self.sampler_list()}
        out: dict[str, Any] = {
            "temperature": self.temperature,
            "top_k": self.top_k if "top_k" in chosen else 0,
            "top_p": self.top_p if "top_p" in chosen else 1.0,
            "min_p": self.min_p if "min_p" in chosen else 0.0,
            "typical_p": self.typical_p if "typ_p" in chosen else 1.0,
            "repeat_penalty": self.repeat_penalty if "penalties" in chosen else 1.0,
            "presence_penalty": self.presence_penalty if "penalties" in chosen else 0.0,
            "frequency_penalty": self.frequency_penalty if "penalties" in chosen else 0.0,
            "mirostat_mode": self.mirostat,
            "mirostat_tau": self.mirostat_tau,
            "mirostat_eta": self.mirostat_eta,
            "seed": None if self.seed < 0 else self.seed,
        }
        if self.top_n_sigma > 0 and "top_n_sigma" in chosen:
            out["top_n_sigma"] = self.top_n_sigma
        return out

    def logit_bias_map(self, eog_tokens: list[int]) -> dict[str, float] | None:
        """``logit_bias`` as ``{"id": bias}`` from llama-server's ``[[id, bias]]`` pairs (``false``: never).

        ``ignore_eos`` adds -inf for ``eog_tokens``.
        """
        out: dict[str, float] = {}
        if isinstance(self.logit_bias, dict):
            out.update({str(k): float(v) for k, v in self.logit_bias.items()})
        elif self.logit_bias:
            for pair in self.logit_bias:
                if len(pair) != 2 or not isinstance(pair[0], int) or isinstance(pair[0], bool):
                    raise ValueError(f"logit_bias: each entry is [token id, bias], got {pair!r}")
                bias = pair[1]
                out[str(pair[0])] = float("-inf") if bias is False else float(bias)
        if self.ignore_eos:
            out.update({str(t): float("-inf") for t in eog_tokens})
        return out or None


class NativeCompletionBody(GenerationBody):
    """``POST /completion`` (also ``/completions``): llama-server's completion request.

    ``prompt``: text, token ids, or text and ids mixed; a list of those is several prompts.
    """

    prompt: str | list[int | str] | list[str | list[int | str]]


class TokenizeBody(BaseModel):
    """``POST /tokenize``: ``content`` (text, or text and ids mixed), llama-server's defaults."""

    model_config = _FORBID
    content: str | list[int | str] | None = None
    add_special: bool = False
    parse_special: bool = True
    with_pieces: bool = False
    model: str | None = None


class DetokenizeBody(BaseModel):
    """``POST /detokenize``: ``tokens`` to text."""

    model_config = _FORBID
    tokens: list[int] = Field(default_factory=list)
    model: str | None = None


class MessagesBody(BaseModel):
    """``POST /apply-template`` and ``/chat/completions/input_tokens``: a chat request's messages (and tools)."""

    model_config = ConfigDict(extra="allow")  # the rest of a chat request, as llama-server reads it: ignored
    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]] | None = None
    add_generation_prompt: bool = True
    model: str | None = None


class InfillBody(GenerationBody):
    """``POST /infill``: fill in between ``input_prefix`` and ``input_suffix`` (``prompt``: text ending the prefix)."""

    prompt: str = ""
    input_prefix: str
    input_suffix: str
    input_extra: list[dict[str, str]] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check_extra(self) -> InfillBody:
        for chunk in self.input_extra:
            if not isinstance(chunk.get("text"), str) or set(chunk) - {"text", "filename"}:
                raise ValueError('input_extra: each chunk is {"filename": string, "text": string}')
        return self


class EmbeddingBody(BaseModel):
    """``POST /embedding``: llama-server's own embedding request (``content``; ``input`` as OpenAI's)."""

    model_config = _FORBID
    content: str | list[int] | list[str | list[int]] | None = None
    input: str | list[int] | list[str | list[int]] | None = None
    embd_normalize: int = 2
    model: str | None = None

    @model_validator(mode="after")
    def _one(self) -> EmbeddingBody:
        if (self.content is None) == (self.input is None):
            raise ValueError("pass the text as content (or input), one of them")
        if self.embd_normalize < -1:
            raise ValueError(f"embd_normalize must be -1 (none), 0, 1, 2 (Euclidean) or p > 2: {self.embd_normalize}")
        return self

    def texts(self) -> list[str | list[int]]:
        """The inputs to embed: texts or token-id lists (a list of ids alone is one input, as llama-server)."""
        value = self.content if self.content is not None else self.input
        if value is None:
            return []
        if isinstance(value, str):
            return [value]
        ids = [t for t in value if isinstance(t, int)]
        if value and len(ids) == len(value):
            return [ids]
        return [t for t in value if not isinstance(t, int)]
