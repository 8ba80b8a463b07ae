"""A :class:`~llama_native.request.CompletionRequest` carried out on an in-process model.

``run_completion`` is what ``Llama.create_completion`` (and the chat layer,
through it) does once the arguments are a request: compile the structure,
tokenize the prompt, build the native sampling and generation parameters, run
the token loop and shape its chunks as OpenAI's ``text_completion``.

Example::

    >>> from llama_native import Llama
    >>> from llama_native.request import CompletionRequest, SamplingOptions
    >>> from llama_native.testing import synthetic_model_path
    >>> llm = Llama(str(synthetic_model_path()), n_ctx=128)
    >>> out = llm.run(CompletionRequest("x", SamplingOptions(temperature=0.0), max_tokens=2))
    >>> out["usage"]["completion_tokens"] <= 2
    True
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from .. import _logging, _native
from .._types import GrammarEngine
from ..images import prompt_size
from ..request import CompletionRequest
from ..request.requests import check_reasoning_budget
from ..request.sampling import DEFAULT_SEED, resolve_seed
from ..request.structure import engine_params
from .generation import Logprobs, completion_result, run_token_loop
from .logprobs import LogprobsBuilder, prompt_logprobs

if TYPE_CHECKING:
    import numpy as np

    from ..cache import BaseLlamaCache
    from ..speculative import PromptLookupDecoding
    from .threads import ActiveGenerations


class Host(Protocol):
    """What carrying out a completion needs of the in-process model (``Llama`` has it)."""

    model_path: str
    seed: int
    last_n_tokens_size: int
    grammar_engine: GrammarEngine
    jump_forward: bool
    json_whitespace: str
    spm_infill: bool
    draft_model: PromptLookupDecoding | None
    cache: BaseLlamaCache | None
    last_generation_stats: dict[str, Any]
    verbose: bool
    _generations: ActiveGenerations

    @property
    def _model(self) -> _native.Model: ...

    def _context(self) -> _native.Context: ...

    def _prompt_tokens(self, prompt: str | bytes | Sequence[int], media: Any = None) -> list[int]: ...

    def logits(self, tokens: Sequence[int]) -> np.ndarray:
        """Raw logits at every position of ``tokens``."""
        ...


def run_completion(llm: Host, request: CompletionRequest) -> Any:
    """``request`` on ``llm``: a ``text_completion`` dict, or its chunks when ``request.stream``."""
    prompt = request.prompt
    if request.suffix is not None:
        prompt = infill_prompt(llm, prompt, request.suffix)
    grammar = request.structure.compile(llm.json_whitespace)
    prompt = request.structure.completion_prompt(prompt, grammar)
    validator = grammar.json_schema if grammar is not None else None
    prompt_tokens = llm._prompt_tokens(prompt, request.media)
    model = llm._model
    sampling = request.sampling.to_native(
        seed=call_seed(llm, request.sampling.seed), penalty_last_n=llm.last_n_tokens_size, n_vocab=model.n_vocab
    )
    engine_params(sampling, grammar, llm.grammar_engine)
    if request.logprobs is not None:
        sampling.n_probs = request.logprobs
    if request.reasoning_budget is not None or request.reasoning_markers is not None:
        set_reasoning_budget(sampling, request.reasoning_budget, request.reasoning_markers, model, prompt_tokens)
    gen = generation_params(request.max_tokens, request.stop)
    # llama-cpp-python's stream chunks: one per token, a possible stop string held back whole tokens at a time
    gen.text_per_token = (
        request.stream and request.stream_per_token and request.logprobs is None and not request.token_ids
    )
    gen.jump_forward = llm.jump_forward and request.logprobs is None  # forced tokens need their logits then
    if request.slot is not None:
        gen.id_slot = request.slot
    if llm.draft_model is not None:
        gen.draft_ngram_max = llm.draft_model.max_ngram_size
        gen.draft_num_pred = llm.draft_model.num_pred_tokens
    prefix = model.detokenize(prompt_tokens, False).decode("utf-8", errors="replace") if request.echo else ""
    lp = None
    if request.logprobs is not None:
        n_top = request.logprobs
        echoed = prompt_logprobs(model, llm.logits(prompt_tokens), prompt_tokens, n_top) if request.echo else None
        lp = Logprobs(LogprobsBuilder(model, request.logprobs_shape, len(prefix)), echoed)
    stats: dict[str, Any] = {"cached_tokens": 0}
    end_check = grammar.end_check if grammar is not None else None
    chunks = native_chunks(
        llm, prompt_tokens, sampling, gen, stats, end_check, not request.stream, request.logits_processor,
        request.stopping_criteria, request.media,
    )  # fmt: skip
    n_prompt = prompt_size(prompt_tokens, request.media)
    return completion_result(
        chunks, n_prompt, prefix, request.model or llm.model_path, validator, stats, request.stream, lp,
        request.token_ids,
    )


def generation_params(max_tokens: int | None, stop: Sequence[str]) -> _native.GenerationParams:
    """The native generation parameters (``max_tokens`` None or 0: until the context is full)."""
    g = _native.GenerationParams()
    g.max_tokens = max_tokens if max_tokens else -1
    g.stop = list(stop)
    return g


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
    check_reasoning_budget(budget)
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


def infill_prompt(llm: Host, prompt: str | bytes | Sequence[int], suffix: str) -> list[int]:
    """The fill-in-the-middle prompt (prefix, suffix, middle tokens; suffix first with ``spm_infill``)."""
    m = llm._model
    if min(m.token_fim_pre, m.token_fim_suf, m.token_fim_mid) < 0:
        raise ValueError(
            "suffix (fill-in-the-middle) needs a model with FIM tokens (prefix, suffix and middle); "
            "this model's vocabulary has none"
        )
    if not isinstance(suffix, str):
        raise ValueError(f"suffix must be a string, got {type(suffix).__name__}")
    if isinstance(prompt, (str, bytes)):
        before = m.tokenize(prompt, False, False)
    else:
        before = [int(t) for t in prompt]
    after = m.tokenize(suffix, False, False)
    pre, suf = [m.token_fim_pre, *before], [m.token_fim_suf, *after]
    body = suf + pre if llm.spm_infill else pre + suf
    return ([m.token_bos] if m.add_bos and m.token_bos >= 0 else []) + body + [m.token_fim_mid]


def native_chunks(
    llm: Host,
    prompt_tokens: list[int],
    sampling: _native.SamplingParams,
    gen: _native.GenerationParams,
    stats: dict[str, Any] | None = None,
    end_check: Callable[[str], bool] | None = None,
    whole: bool = False,
    logits_processor: Callable[..., Any] | None = None,
    stopping_criteria: Callable[..., Any] | None = None,
    media: Any = None,
) -> Iterator[_native.Chunk]:
    """Chunks of one generation on ``llm``'s context (see :func:`.generation.run_token_loop`)."""

    def record(counters: dict[str, Any]) -> None:
        llm.last_generation_stats = counters
        if llm.verbose:  # llama-cpp-python prints llama.cpp's perf summary after each call
            _logging.log_perf(counters["timings"])

    return run_token_loop(
        llm._context(),
        llm._generations,
        llm.cache,
        prompt_tokens,
        sampling,
        gen,
        stats,
        end_check,
        whole,
        record,
        logits_processor,
        stopping_criteria,
        media=media,
    )


def call_seed(llm: Any, seed: int | None) -> int:
    """The seed of one completion, and the model's next one, as llama-cpp-python advances them.

    A call's ``seed`` becomes the model's seed; a call without one, on a model
    with a fixed seed (``seed=`` or ``set_seed``), draws its seed from the
    previous one (``random.Random(seed).randint(0, 2**32)``, as llama-cpp-python
    does), so successive calls differ yet repeat from run to run.  A random
    seed (the default, or -1) stays random each call.

    Example::

        >>> from types import SimpleNamespace
        >>> llm = SimpleNamespace(seed=1337)
        >>> first, second = call_seed(llm, None), call_seed(llm, None)
        >>> first != second and llm.seed == second
        True
    """
    if seed is not None:
        chosen = resolve_seed(seed, llm.seed)
        if seed not in (DEFAULT_SEED, -1):
            llm.seed = chosen
        return chosen
    if llm.seed in (DEFAULT_SEED, -1):
        return resolve_seed(None, llm.seed)
    llm.seed = random.Random(llm.seed).randint(0, 2**32) & 0xFFFFFFFF
    return int(llm.seed)
