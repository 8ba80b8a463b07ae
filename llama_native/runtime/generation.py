"""One generation on a context: the token loop's chunks, prompt caches, and the OpenAI-shaped stream.

``Llama.create_completion`` decides what to generate; this module runs it:
``run_token_loop`` drives a native ``TokenLoop`` (superseding a stream the
same thread left suspended, restoring and saving prompt-cache states,
recording counters), and ``stream_completion`` turns its chunks into
``text_completion`` chunks.

Example::

    >>> from llama_native.runtime.generation import completion_usage
    >>> completion_usage(5, 3, cached_tokens=2)["total_tokens"]
    8
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Generator, Iterator
from typing import Any, Literal

from .. import _native
from .._types import NativeFinishReason
from ..cache import BaseLlamaCache, LlamaState, common_prefix
from ..compat.llama_types import Completion, CompletionChoice, CompletionChunk, CompletionUsage
from ..schema import JsonSchemaGrammar, SchemaValidationError
from ..timings import Timings, make_timings
from .logprobs import LogprobsBuilder, merge
from .threads import ActiveGenerations


def run_token_loop(
    ctx: _native.Context,
    generations: ActiveGenerations,
    cache: BaseLlamaCache | None,
    prompt_tokens: list[int],
    sampling: _native.SamplingParams,
    gen: _native.GenerationParams,
    stats: dict[str, Any] | None,
    end_check: Callable[[str], bool] | None,
    whole: bool,
    record: Callable[[dict[str, Any]], None],
    logits_processor: Callable[..., Any] | None = None,
    stopping_criteria: Callable[..., Any] | None = None,
    on_end: Callable[[int], None] | None = None,
    media: Any = None,
) -> Generator[_native.Chunk, None, None]:
    """Chunks of one generation; ``stats["cached_tokens"]`` is set once the prompt is decoded.

    ``stats["timings"]`` (:mod:`llama_native.timings`) is set before the last chunk is yielded.

    ``end_check(text)`` vets the completion whenever a token would
    complete the grammar's value; a refused token is never sampled.
    ``whole``: the caller does not stream, so on a parallel context the
    generation arrives as one chunk (this thread is woken once, not at
    every step of the shared batch).  ``record(counters)`` receives the
    generation's counters when it ends (``Llama.last_generation_stats``).
    ``logits_processor(input_ids, scores) -> scores`` and
    ``stopping_criteria(input_ids, scores) -> bool`` are llama-cpp-python's
    hooks (numpy arrays); without them the loop never calls into Python.
    ``on_end(token)`` receives the end-of-generation token that ended it (-1: none).
    ``media``: the prompt's images (a ``_native.PromptMedia``; their placeholder
    runs are in ``prompt_tokens``).
    """
    me = threading.get_ident()
    # A stream that this same thread left suspended can never be resumed
    # while this thread waits for the context: supersede it (it ends with
    # no more text) instead of deadlocking.  A parallel context runs both
    # side by side.
    stale = [] if ctx.parallel else generations.of_thread(me)
    for generator in stale:
        generator.close()
    if cache is not None:
        restore_from_cache(ctx, cache, prompt_tokens)
    try:
        generator = _native.TokenLoop(
            ctx, prompt_tokens, sampling, gen, end_check, logits_processor, stopping_criteria, media
        )
    except IndexError as exc:
        raise ValueError(str(exc)) from None
    entry = generations.add(generator, me)
    if stats is not None:
        stats["cached_tokens"] = generator.n_reused_tokens
    try:
        while True:
            try:
                chunk = generator.next(whole)
            except _native.NoValidContinuation as exc:
                raise SchemaValidationError(str(exc), generator.text) from None
            if chunk is None:
                break
            if on_end is not None and chunk.finish_reason:
                on_end(generator.eog_token)
            if stats is not None:  # a parallel context reads the prompt after the constructor returns
                stats["cached_tokens"] = generator.n_reused_tokens
                if chunk.finish_reason:
                    stats["timings"] = loop_timings(generator, gen.draft_ngram_max > 0)
            yield chunk
            if generator.finished:
                break
    finally:
        generator.close()
        generations.remove(entry)
        if cache is not None:
            data, tokens = ctx.save_state()
            if tokens:
                cache.store(LlamaState(tuple(tokens), data))
        record(
            {
                "prompt_tokens": generator.n_prompt_tokens,
                "cached_tokens": generator.n_reused_tokens,
                "generated_tokens": generator.n_generated,
                "decode_calls": generator.n_decode_calls,
                "drafted_tokens": generator.n_drafted,
                "accepted_draft_tokens": generator.n_draft_accepted,
                "grammar_resamples": generator.grammar_resamples,
                "grammar_engine": generator.grammar_engine,
                "forced_tokens": generator.n_forced,
                "timings": loop_timings(generator, gen.draft_ngram_max > 0),
            }
        )


def loop_timings(loop: _native.TokenLoop, drafting: bool = False) -> Timings:
    """llama-server's ``timings`` of a token loop (its phase clocks), with the grammar's cost.

    The fields are read from the native loop's clocks; see :mod:`llama_native.timings`.
    """
    cache_n = loop.n_reused_tokens
    return make_timings(
        max(0, loop.n_prompt_tokens - cache_n),
        loop.prompt_ms,
        loop.n_generated,
        loop.predicted_ms,
        cache_n,
        queue_ms=loop.queue_ms,
        ttft_ms=loop.first_token_ms,
        grammar_ms=loop.grammar_ms,
        jump_forward_n=loop.n_forced,
        draft_n=loop.n_drafted if drafting else None,
        draft_n_accepted=loop.n_draft_accepted if drafting else None,
    )


def restore_from_cache(ctx: _native.Context, cache: BaseLlamaCache, prompt_tokens: list[int]) -> None:
    """Load the cached state sharing the longest prefix with the prompt, when it beats the live KV."""
    live = common_prefix(ctx.cached_tokens(), prompt_tokens)
    found, state = cache.lookup(prompt_tokens)
    if state is not None and found > live:
        try:
            ctx.load_state(state.data, list(state.tokens))
        except ValueError:
            pass  # a state from another model or context size: evaluate the prompt instead


def stream_completion(
    chunks: Iterator[_native.Chunk],
    n_prompt: int,
    prefix: str,
    completion_id: str,
    created: int,
    model_name: str,
    validator: JsonSchemaGrammar | None,
    stats: dict[str, Any],
    logprobs: Logprobs | None = None,
    token_ids: bool = False,
) -> Iterator[CompletionChunk]:
    """``text_completion`` chunks of a generation: text as it comes, then the finish reason with ``usage``.

    A cancelled generation ends the stream without a final chunk; a
    completed output under a schema is validated before the last chunk.
    With ``logprobs``, each chunk carries the log-probabilities of its tokens;
    with ``token_ids``, the ids of the tokens sampled since the last chunk.
    """
    held: list[int] = []  # ids whose text is not out yet (a possible stop string held back)

    def make(text: str, finish_reason: NativeFinishReason | None, lp: Any = None) -> CompletionChunk:
        reason = finish_name(finish_reason)
        choice: CompletionChoice = {"text": text, "index": 0, "logprobs": lp, "finish_reason": reason}
        if token_ids:
            choice["token_ids"] = held[:]
            held.clear()
        return {
            "id": completion_id,
            "object": "text_completion",
            "created": created,
            "model": model_name,
            "choices": [choice],
        }

    n_generated = 0
    n_chars = 0
    texts: list[str] = []
    pending: Any = None  # logprobs not yet sent (their text came in a chunk that had none of its own)
    try:
        if prefix:
            yield make(prefix, None, logprobs.prompt if logprobs is not None else None)
        for chunk in chunks:
            n_generated += len(chunk.tokens)
            held.extend(chunk.tokens)
            texts.append(chunk.text)
            n_chars += len(chunk.text)
            if logprobs is not None:
                pending = merge([pending, logprobs.builder.feed(chunk.logprobs, n_chars)])
            # one chunk per token as llama-cpp-python streams (Chunk.pieces), else the step's text
            pieces = list(chunk.pieces) or ([chunk.text] if chunk.text else [])
            if chunk.finish_reason:
                if chunk.finish_reason == "cancelled":
                    return
                for piece in pieces:
                    yield make(piece, None, pending)
                    pending = None
                if validator is not None and chunk.finish_reason == "stop":
                    validator.validate("".join(texts))  # raises SchemaValidationError
                rest = merge([pending, logprobs.builder.shape([])]) if logprobs is not None else None
                final = make("", chunk.finish_reason, rest)
                final["usage"] = completion_usage(n_prompt, n_generated, stats["cached_tokens"])
                if "timings" in stats:
                    final["timings"] = stats["timings"]
                yield final
                return
            for piece in pieces:
                yield make(piece, None, pending)
                pending = None
    finally:
        chunks.close()  # type: ignore[attr-defined]


def finish_name(reason: NativeFinishReason | None) -> Literal["stop", "length", "cancelled"] | None:
    """The native loop's finish reason as the results name it (None: not finished; a failed loop raises instead)."""
    return reason if reason in ("stop", "length", "cancelled") else None


def completion_usage(prompt_tokens: int, completion_tokens: int, cached_tokens: int = 0) -> CompletionUsage:
    """OpenAI usage; ``prompt_tokens_details.cached_tokens`` counts prompt tokens reused from the KV cache."""
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
        "prompt_tokens_details": {"cached_tokens": cached_tokens},
    }


def completion_result(
    chunks: Iterator[_native.Chunk],
    n_prompt: int,
    prefix: str,
    model_name: str,
    validator: JsonSchemaGrammar | None,
    stats: dict[str, Any],
    stream: bool,
    logprobs: Logprobs | None = None,
    token_ids: bool = False,
) -> Completion | Iterator[CompletionChunk]:
    """A generation's chunks as one ``text_completion`` dict, or as streamed chunks with ``stream``.

    ``prefix`` (the echoed prompt) comes first; a completed output under a
    schema is validated once more (``SchemaValidationError``).
    """
    completion_id = f"cmpl-{uuid.uuid4()}"
    created = int(time.time())
    if stream:
        return stream_completion(
            chunks, n_prompt, prefix, completion_id, created, model_name, validator, stats, logprobs, token_ids
        )
    texts = [prefix]
    n_generated = 0
    finish_reason: NativeFinishReason = "length"
    entries: list[Any] = []
    ids: list[int] = []
    for chunk in chunks:
        texts.append(chunk.text)
        n_generated += len(chunk.tokens)
        ids.extend(chunk.tokens)
        entries.extend(chunk.logprobs)
        if chunk.finish_reason:
            finish_reason = chunk.finish_reason
    if validator is not None and finish_reason == "stop":
        validator.validate("".join(texts[1:]))  # raises SchemaValidationError
    completion: Completion = {
        "id": completion_id,
        "object": "text_completion",
        "created": created,
        "model": model_name,
        "choices": [
            {"text": "".join(texts), "index": 0, "logprobs": None, "finish_reason": finish_name(finish_reason)}
        ],
        "usage": completion_usage(n_prompt, n_generated, stats["cached_tokens"]),
    }
    if token_ids:
        completion["choices"][0]["token_ids"] = ids
    if "timings" in stats:
        completion["timings"] = stats["timings"]
    if logprobs is not None:
        generated = logprobs.builder.feed(entries, sum(len(t) for t in texts[1:]))
        completion["choices"][0]["logprobs"] = merge([logprobs.prompt, generated])
    return completion


class Logprobs:
    """What a generation reports log-probabilities with: the builder, and the echoed prompt's own (or None)."""

    def __init__(self, builder: LogprobsBuilder, prompt: Any = None) -> None:
        self.builder = builder
        self.prompt = prompt
