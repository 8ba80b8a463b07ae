"""Validation of sampling and generation parameters.

Every out-of-range value raises ``ValueError`` naming the parameter, before
anything reaches llama.cpp.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

from . import _llguidance, _native
from .grammar import LlamaGrammar, as_grammar

DEFAULT_SEED: int = _native.default_seed()


def finite(name: str, value: float) -> float:
    """``value`` as a float, or ``ValueError`` naming ``name`` when it is no finite number."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return value


def _in_range(name: str, value: float, low: float, high: float) -> float:
    value = finite(name, value)
    if not low <= value <= high:
        raise ValueError(f"{name} must be between {low} and {high}, got {value}")
    return value


def resolve_seed(seed: int | None, default: int) -> int:
    """Per-call seed, else the model's seed; -1 or the default seed mean a fresh random one."""
    chosen = default if seed is None else seed
    if not isinstance(chosen, int) or isinstance(chosen, bool):
        raise ValueError(f"seed must be an integer, got {chosen!r}")
    if chosen in (DEFAULT_SEED, -1):
        return random.getrandbits(31)
    if chosen < 0:
        raise ValueError(f"seed must be >= 0 (or -1 for random), got {chosen}")
    return chosen & 0xFFFFFFFF


def sampling_params(
    *,
    temperature: float,
    top_k: int,
    top_p: float,
    min_p: float,
    typical_p: float,
    repeat_penalty: float,
    presence_penalty: float,
    frequency_penalty: float,
    penalty_last_n: int,
    seed: int,
    logit_bias: dict[int | str, float] | None,
    grammar: None | str | LlamaGrammar,
    n_vocab: int,
    grammar_engine: str = "auto",
    mirostat_mode: int = 0,
    mirostat_tau: float = 5.0,
    mirostat_eta: float = 0.1,
    tfs_z: float = 1.0,
) -> _native.SamplingParams:
    """Build native sampling parameters from validated Python values.

    A grammar compiled from a JSON Schema (not lazy, every keyword enforced by
    the grammar) runs on llguidance when ``grammar_engine`` allows it and the
    library is there, as llguidance's Lark form of the same GBNF (the same
    language, so key order, prop_order and every bound hold); the GBNF text
    stays set as the fallback for a grammar llguidance refuses.
    ``grammar_engine="llguidance"`` runs every non-lazy grammar on it.
    """
    p = _native.SamplingParams()
    temperature = finite("temperature", temperature)
    if temperature < 0:
        raise ValueError(f"temperature must be >= 0, got {temperature}")
    p.temperature = temperature
    if not isinstance(top_k, int) or top_k < 0:
        raise ValueError(f"top_k must be an integer >= 0, got {top_k!r}")
    p.top_k = top_k
    p.top_p = _in_range("top_p", top_p, 0.0, 1.0)
    p.min_p = _in_range("min_p", min_p, 0.0, 1.0)
    p.typical_p = _in_range("typical_p", typical_p, 0.0, 1.0)
    repeat_penalty = finite("repeat_penalty", repeat_penalty)
    if repeat_penalty <= 0:
        raise ValueError(f"repeat_penalty must be > 0, got {repeat_penalty}")
    p.repeat_penalty = repeat_penalty
    p.presence_penalty = _in_range("presence_penalty", presence_penalty, -2.0, 2.0)
    p.frequency_penalty = _in_range("frequency_penalty", frequency_penalty, -2.0, 2.0)
    if not isinstance(penalty_last_n, int) or penalty_last_n < -1:
        raise ValueError(f"last_n_tokens_size must be an integer >= -1, got {penalty_last_n!r}")
    p.penalty_last_n = penalty_last_n
    p.seed = seed
    if finite("tfs_z", tfs_z) != 1.0:
        raise NotImplementedError(
            f"tfs_z={tfs_z}: llama.cpp removed tail-free sampling, so only tfs_z=1.0 (off) is accepted; "
            "min_p or top_p filter the tail instead"
        )
    if mirostat_mode not in (0, 1, 2) or isinstance(mirostat_mode, bool):
        raise ValueError(f"mirostat_mode must be 0 (off), 1 (Mirostat) or 2 (Mirostat 2.0), got {mirostat_mode!r}")
    p.mirostat = mirostat_mode
    p.mirostat_tau = finite("mirostat_tau", mirostat_tau)
    p.mirostat_eta = finite("mirostat_eta", mirostat_eta)
    if mirostat_mode and (p.mirostat_tau <= 0 or p.mirostat_eta <= 0):
        raise ValueError(f"mirostat_tau and mirostat_eta must be > 0, got {mirostat_tau}, {mirostat_eta}")
    if logit_bias:
        bias: list[tuple] = []
        for token, value in logit_bias.items():
            try:
                token_id = int(token)
            except (TypeError, ValueError):
                raise ValueError(f"logit_bias keys must be token ids, got {token!r}") from None
            if not 0 <= token_id < n_vocab:
                raise ValueError(f"logit_bias token {token_id} is outside the vocabulary (0..{n_vocab - 1})")
            value = float(value)
            if math.isnan(value):
                raise ValueError(f"logit_bias for token {token_id} is NaN")
            bias.append((token_id, value))
        p.logit_bias = bias
    parsed = as_grammar(grammar)
    if parsed is not None and parsed.llguidance_lark is not None:
        if grammar_engine == "gbnf":
            raise ValueError("this grammar was made by llguidance's JSON Schema compiler: it runs only with "
                             "grammar_engine='llguidance' or 'auto'")
        if not _llguidance.available():
            raise ValueError(f"this grammar needs llguidance: {_llguidance.unavailable_reason()}")
        p.llg_kind = "lark"
        p.llg_data = parsed.llguidance_lark
    elif parsed is not None:
        p.grammar = parsed.grammar
        p.grammar_root = parsed.root
        if parsed.lazy:
            p.grammar_lazy = True
            p.grammar_trigger_patterns = list(parsed.trigger_patterns)
            p.grammar_trigger_tokens = list(parsed.trigger_tokens)
        p.grammar_prefill = parsed.prefill
        # "auto": schemas the grammar enforces whole; a schema with keywords
        # checked where the value ends (`not`, `oneOf` exclusivity, ...) stays
        # on the GBNF engine, whose end check finds more valid endings there.
        compiled = parsed.json_schema
        wanted = grammar_engine == "llguidance" or (
            grammar_engine == "auto" and compiled is not None and not compiled.needs_end_check
        )
        if wanted and not parsed.lazy and not parsed.prefill and _llguidance.available():
            lark = _llguidance.gbnf_to_llguidance(parsed.grammar)
            if lark is not None:
                p.llg_kind = "lark"
                p.llg_data = lark
    return p


def set_reasoning_budget(
    p: _native.SamplingParams,
    budget: int | None,
    markers: Sequence[str] | None,
    model: _native.Model,
    prompt_tokens: Sequence[int],
) -> None:
    """Cap the tokens inside the reasoning block ``markers`` opens and closes (see ``create_completion``)."""
    if budget is None:
        return  # markers without a budget: nothing to cap
    if isinstance(budget, bool) or not isinstance(budget, int) or budget < 0:
        raise ValueError(f"reasoning_budget must be an integer >= 0, got {budget!r}")
    if not markers or len(markers) != 2 or not all(isinstance(m, str) for m in markers) or not markers[1]:
        raise ValueError(
            "reasoning_budget needs the reasoning block's markers: reasoning_markers=(opening, closing), "
            f"e.g. ('<think>', '</think>'), got {markers!r}"
        )
    start, end = markers
    tail = model.detokenize(list(prompt_tokens[-64:]), True).decode("utf-8", "replace")
    opened = bool(start) and tail.rfind(start) > tail.rfind(end)
    p.reasoning_budget = budget
    p.reasoning_start, p.reasoning_end = start, end
    p.reasoning_opened = opened


def generation_params(max_tokens: int | None, stop: None | str | list[str]) -> _native.GenerationParams:
    """Validate ``max_tokens`` (None or 0: until the context is full) and ``stop``."""
    g = _native.GenerationParams()
    if max_tokens is None or max_tokens == 0:
        g.max_tokens = -1
    elif not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens < 0:
        raise ValueError(f"max_tokens must be a non-negative integer or None, got {max_tokens!r}")
    else:
        g.max_tokens = max_tokens
    if stop is None:
        stops: list[str] = []
    elif isinstance(stop, str):
        stops = [stop]
    else:
        stops = list(stop)
        for s in stops:
            if not isinstance(s, str):
                raise ValueError(f"stop must be a string or a list of strings, got {s!r}")
    g.stop = [s for s in stops if s]
    return g
