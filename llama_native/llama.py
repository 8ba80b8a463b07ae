"""``Llama``: a loaded GGUF model with an OpenAI-shaped completion API.

The names and parameters follow llama-cpp-python's ``llama_cpp.Llama`` so
code ports by changing the import.  All inference runs in the compiled
extension with the GIL released; Python only receives finished text pieces.

Example::

    >>> from llama_native import Llama
    >>> from llama_native.testing import synthetic_model_path
    >>> llm = Llama(str(synthetic_model_path()), n_ctx=256, seed=1)
    >>> out = llm.create_completion("Q: name a city. A:", max_tokens=8, temperature=0)
    >>> out["object"], out["choices"][0]["finish_reason"] in ("stop", "length")
    ('text_completion', True)
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Literal, cast

import numpy as np

from . import _llguidance, _logging, _native
from ._async_api import AsyncMixin
from ._chat_api import ChatMixin
from ._embedding_api import EmbeddingMixin
from ._sampling import DEFAULT_SEED, generation_params, resolve_seed, sampling_params
from .cache import BaseLlamaCache, LlamaState, common_prefix
from .grammar import LlamaGrammar
from .llama_types import Completion, CompletionChunk, CompletionUsage
from .schema import JsonSchemaGrammar, SchemaValidationError, schema_system_prompt
from .speculative import PromptLookupDecoding

LLAMA_DEFAULT_SEED = DEFAULT_SEED


class ModelLoadError(ValueError):
    """The model file could not be loaded (missing, not GGUF, truncated, corrupt)."""


def _default_threads() -> int:
    count = os.cpu_count() or 1
    return count if count <= 4 else count // 2


def _check_model_file(path: str) -> None:
    if not os.path.exists(path):
        raise ModelLoadError(f"model file not found: '{path}'")
    if os.path.isdir(path):
        raise ModelLoadError(f"model path is a directory, not a GGUF file: '{path}'")
    try:
        with open(path, "rb") as handle:
            magic = handle.read(4)
    except OSError as exc:
        raise ModelLoadError(f"cannot read model file '{path}': {exc.strerror}") from exc
    if magic != b"GGUF":
        size = os.path.getsize(path)
        what = "it is empty" if size == 0 else f"it starts with {magic!r}, not the GGUF magic b'GGUF'"
        raise ModelLoadError(f"'{path}' is not a GGUF model file: {what}")


class Llama(ChatMixin, AsyncMixin, EmbeddingMixin):
    """A GGUF model and one inference context (llama-cpp-python compatible).

    Args:
        model_path: path to a ``.gguf`` file.
        n_gpu_layers: layers to offload to a GPU build (-1: all).
        use_mmap, use_mlock, vocab_only: loading options as in llama.cpp.
        seed: default sampling seed (``LLAMA_DEFAULT_SEED`` or -1: random per call).
        n_ctx: context size in tokens (> 0).
        n_batch, n_ubatch: prompt batch sizes.
        n_threads, n_threads_batch: CPU threads for generation and prompt processing.
        embedding: create the context for embeddings.
        flash_attn: None (default) lets llama.cpp decide, as its own tools do (on where the backend
            supports it); True or False forces it.
        last_n_tokens_size: window of the repeat/presence/frequency penalties.
        verbose: forward llama.cpp's log to ``logging`` (stderr) and show load progress.
        progress_callback: ``f(progress: float) -> bool``; returning False aborts loading.
        chat_format: a named chat format (``llama_native.chat.list_chat_formats()``) to use
            instead of the GGUF's own chat template.
        draft_model: ``PromptLookupDecoding(...)`` for speculative decoding by prompt lookup
            (same output under greedy decoding, fewer decode calls when the output copies the prompt).
        grammar_engine: ``"auto"`` (default; ``$LLAMA_NATIVE_GRAMMAR_ENGINE``) runs JSON Schema
            constraints on llguidance when it is installed and everything else on llama.cpp's GBNF
            engine; ``"gbnf"`` always uses the GBNF engine; ``"llguidance"`` (which must be installed) also
            runs raw GBNF grammars and end-checked schemas on it.  A grammar llguidance refuses runs on GBNF.
        jump_forward: under llguidance, text the grammar forces (keys, ``":"``, closing brackets,
            enum tails) is appended in its canonical tokens without sampling; True decodes those
            tokens in one batch, False one decode call each (the same output, more calls).
        n_parallel: sequences decoded together (default 1).  Above 1, concurrent calls from
            threads or asyncio tasks share the context by continuous batching: one decode per
            step for all active requests, each with its own sampler and grammar, new requests
            joining between steps; each sequence gets its own ``n_ctx`` tokens of KV cache.
        json_whitespace: what grammars built from JSON schemas (``json_schema=``,
            ``response_format``, tool arguments) allow between JSON tokens: ``"free"``
            (default: nothing, a space, or newlines with a bounded indent, as the model
            likes), ``"compact"`` (none) or ``"pretty"``.  Each call may override it.

    Example::

        >>> from llama_native import Llama
        >>> from llama_native.testing import synthetic_model_path
        >>> llm = Llama(str(synthetic_model_path()), n_ctx=128)
        >>> llm.detokenize(llm.tokenize(b"hello world", add_bos=False))
        b' hello world'
    """

    def __init__(
        self,
        model_path: str | os.PathLike,
        *,
        n_gpu_layers: int = 0,
        use_mmap: bool = True,
        use_mlock: bool = False,
        vocab_only: bool = False,
        seed: int = LLAMA_DEFAULT_SEED,
        n_ctx: int = 2048,
        n_batch: int = 512,
        n_ubatch: int = 512,
        n_threads: int | None = None,
        n_threads_batch: int | None = None,
        embedding: bool = False,
        flash_attn: bool | None = None,
        last_n_tokens_size: int = 64,
        verbose: bool = False,
        progress_callback: Callable[[float], bool] | None = None,
        chat_format: str | None = None,
        draft_model: PromptLookupDecoding | None = None,
        grammar_engine: str | None = None,
        jump_forward: bool = True,
        n_parallel: int = 1,
        json_whitespace: str = "free",
        **kwargs: Any,
    ) -> None:
        self._native_model: _native.Model | None = None
        self._ctx: _native.Context | None = None
        self._verbose_held = False
        self.model_path = os.fspath(model_path)
        self.verbose = verbose

        for name, value in (("n_ctx", n_ctx), ("n_batch", n_batch), ("n_ubatch", n_ubatch), ("n_parallel", n_parallel)):
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        n_threads = _default_threads() if n_threads is None else n_threads
        n_threads_batch = n_threads if n_threads_batch is None else n_threads_batch
        for name, value in (("n_threads", n_threads), ("n_threads_batch", n_threads_batch)):
            if not isinstance(value, int) or value <= 0:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if not isinstance(n_gpu_layers, int):
            raise ValueError(f"n_gpu_layers must be an integer, got {n_gpu_layers!r}")
        if not isinstance(seed, int) or isinstance(seed, bool):
            raise ValueError(f"seed must be an integer, got {seed!r}")
        unknown = set(kwargs) - _IGNORED_LLAMA_CPP_PYTHON_ARGS
        if unknown:
            raise TypeError(f"Llama() got unexpected keyword arguments: {', '.join(sorted(unknown))}")
        if kwargs.get("chat_handler") is not None:
            raise ValueError(
                "chat_handler is not supported; use chat_format=... or llama_native.chat.register_chat_format"
            )
        if chat_format is not None:
            from .chat.formats import get_chat_formatter

            get_chat_formatter(chat_format)  # ValueError naming the known formats
        self.chat_format = chat_format
        self._chat_formatter = None
        if draft_model is not None and not isinstance(draft_model, PromptLookupDecoding):
            raise ValueError(
                "draft_model must be a PromptLookupDecoding (n-gram prompt lookup); draft models are not supported yet"
            )
        self.draft_model = draft_model
        self.grammar_engine = _llguidance.resolve_engine(grammar_engine)
        self.jump_forward = bool(jump_forward)
        self.json_whitespace = self._json_whitespace(json_whitespace)

        _check_model_file(self.model_path)
        if verbose:
            _logging.acquire_verbose()
            self._verbose_held = True
            if progress_callback is None:
                progress_callback = _logging.ProgressPrinter(self.model_path)

        params = _native.ModelParams()
        params.n_gpu_layers = n_gpu_layers
        params.use_mmap = use_mmap
        params.use_mlock = use_mlock
        params.vocab_only = vocab_only
        try:
            self._native_model = _native.Model(self.model_path, params, progress_callback)
        except RuntimeError as exc:
            raise ModelLoadError(str(exc)) from None

        self.seed = seed
        self.last_n_tokens_size = last_n_tokens_size
        self.metadata: dict[str, str] = self._native_model.metadata()
        self.chat_template: str | None = self._native_model.chat_template() or None
        self.context_params = dict(
            n_ctx=n_ctx,
            n_batch=min(n_batch, n_ctx),
            n_ubatch=min(n_ubatch, n_batch, n_ctx),
            n_threads=n_threads,
            n_threads_batch=n_threads_batch,
            embedding=embedding,
            flash_attn=flash_attn,
            n_parallel=n_parallel,
        )
        if not vocab_only:
            cp = _native.ContextParams()
            # n_parallel sequences of n_ctx tokens each, decoded together by continuous batching
            parallel = n_parallel if not embedding else 1
            cp.n_ctx = n_ctx * parallel
            cp.n_seq_max = parallel
            cp.n_batch = min(n_batch, n_ctx)
            cp.n_ubatch = min(n_ubatch, n_batch, n_ctx)
            cp.n_threads = n_threads
            cp.n_threads_batch = n_threads_batch
            cp.embeddings = embedding
            cp.flash_attn = -1 if flash_attn is None else int(bool(flash_attn))
            try:
                self._ctx = _native.Context(self._native_model, cp)
            except RuntimeError as exc:
                raise ValueError(f"cannot create a context for '{self.model_path}': {exc}") from None
        self._active_lock = threading.Lock()
        self._active: list[tuple] = []
        #: counters of the most recent generation on this model (decode calls, drafts, ...), for benchmarks
        self.last_generation_stats: dict[str, Any] = {}
        #: prompt cache set by :meth:`set_cache` (None: the context's own prefix reuse only)
        self.cache: BaseLlamaCache | None = None

    # ------------------------------------------------------------------ info
    @property
    def _model(self) -> _native.Model:
        if self._native_model is None:
            raise RuntimeError("this Llama has been closed")
        return self._native_model

    def _context(self) -> _native.Context:
        if self._ctx is None:
            if self._native_model is None:
                raise RuntimeError("this Llama has been closed")
            raise RuntimeError("this Llama was loaded with vocab_only=True and cannot run inference")
        return self._ctx

    def n_ctx(self) -> int:
        """Context size in tokens."""
        return self._context().n_ctx_seq

    def n_vocab(self) -> int:
        """Vocabulary size."""
        return self._model.n_vocab

    def n_embd(self) -> int:
        """Embedding width."""
        return self._model.n_embd

    def n_ctx_train(self) -> int:
        """Context length the model was trained with."""
        return self._model.n_ctx_train

    def token_bos(self) -> int:
        """Beginning-of-sequence token id (-1 if none)."""
        return self._model.token_bos

    def token_eos(self) -> int:
        """End-of-sequence token id (-1 if none)."""
        return self._model.token_eos

    def token_nl(self) -> int:
        """Newline token id (-1 if none)."""
        return self._model.token_nl

    def eog_tokens(self) -> list[int]:
        """All end-of-generation token ids (EOS, EOT, <|im_end|>, ...)."""
        return self._model.eog_tokens()

    def token_is_eog(self, token: int) -> bool:
        """True if ``token`` ends generation."""
        self._model.token_to_piece(token)  # validates the id
        return self._model.is_eog(token)

    # -------------------------------------------------------------- tokenizer
    def tokenize(self, text: bytes | str, add_bos: bool = True, special: bool = False) -> list[int]:
        """Tokenize UTF-8 ``text``; ``add_bos`` adds the model's BOS when it uses one.

        ``special=True`` parses special-token text such as ``<|im_start|>``.
        """
        if not isinstance(text, (bytes, str)):
            raise TypeError(f"text must be bytes or str, not {type(text).__name__}")
        return self._model.tokenize(text, add_bos, special)

    def detokenize(
        self, tokens: Sequence[int], prev_tokens: Sequence[int] | None = None, special: bool = False
    ) -> bytes:
        """Bytes of ``tokens`` (concatenated token pieces)."""
        del prev_tokens  # accepted for llama-cpp-python compatibility
        try:
            return self._model.detokenize(list(tokens), special)
        except IndexError as exc:
            raise ValueError(str(exc)) from None

    def token_to_piece(self, token: int, special: bool = False) -> bytes:
        """Bytes of one token."""
        try:
            return self._model.token_to_piece(token, special)
        except IndexError as exc:
            raise ValueError(str(exc)) from None

    def logits(self, tokens: Sequence[int]) -> np.ndarray:
        """Raw logits at every position of ``tokens``: a float32 array of shape ``(len(tokens), n_vocab)``.

        Row ``i`` scores the token that follows ``tokens[:i + 1]``.  The
        tokens are decoded from an empty cache (and stay cached for a prompt
        that starts with them).  As llama-cpp-python's ``eval`` + ``scores``
        with ``logits_all=True``; useful to check a converted model against
        its training framework.

        Example::

            >>> from llama_native.testing import synthetic_model_path
            >>> llm = Llama(str(synthetic_model_path()), n_ctx=64, verbose=False)
            >>> llm.logits(llm.tokenize(b"hello world")).shape[1] == llm.n_vocab()
            True
        """
        ids = [int(t) for t in tokens]
        try:
            raw = self._context().logits(ids)
        except IndexError as exc:
            raise ValueError(str(exc)) from None
        return np.frombuffer(raw, dtype=np.float32).reshape(len(ids), self.n_vocab())

    # ----------------------------------------------------------- completion
    def _prompt_tokens(self, prompt: str | bytes | Sequence[int]) -> list[int]:
        if isinstance(prompt, (str, bytes)):
            tokens = self._model.tokenize(prompt, self._model.add_bos, True)
        else:
            tokens = [int(t) for t in prompt]
            n_vocab = self._model.n_vocab
            for t in tokens:
                if not 0 <= t < n_vocab:
                    raise ValueError(f"prompt token {t} is outside the vocabulary (0..{n_vocab - 1})")
        if not tokens:
            raise ValueError("the prompt is empty (and the model adds no BOS token)")
        n_ctx = self.n_ctx()
        if len(tokens) > n_ctx:
            raise ValueError(
                f"prompt is {len(tokens)} tokens long, longer than the context window of {n_ctx} tokens "
                f"(n_ctx); shorten the prompt or load the model with a larger n_ctx"
            )
        return tokens

    def _native_generator(
        self,
        prompt_tokens: list[int],
        sampling: _native.SamplingParams,
        gen: _native.GenerationParams,
        stats: dict[str, int] | None = None,
        end_check: Callable[[str], bool] | None = None,
        whole: bool = False,
    ) -> Iterator[_native.Chunk]:
        """Chunks of one generation; ``stats["cached_tokens"]`` is set once the prompt is decoded.

        ``end_check(text)`` vets the completion whenever a token would
        complete the grammar's value; a refused token is never sampled.
        ``whole``: the caller does not stream, so on a parallel context the
        generation arrives as one chunk (this thread is woken once, not at
        every step of the shared batch).
        """
        ctx = self._context()
        me = threading.get_ident()
        with self._active_lock:
            # A stream that this same thread left suspended can never be resumed
            # while this thread waits for the context: supersede it (it ends
            # with no more text) instead of deadlocking.  A parallel context
            # runs both side by side.
            stale = [] if ctx.parallel else [g for g, owner in self._active if owner == me]
        for generator in stale:
            generator.close()
        cache = self.cache
        if cache is not None:
            self._restore_from_cache(ctx, cache, prompt_tokens)
        try:
            generator = _native.Generator(ctx, prompt_tokens, sampling, gen)
        except IndexError as exc:
            raise ValueError(str(exc)) from None
        if end_check is not None:
            generator.set_end_check(end_check)
        entry = (generator, me)
        with self._active_lock:
            self._active.append(entry)
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
                if stats is not None:  # a parallel context reads the prompt after the constructor returns
                    stats["cached_tokens"] = generator.n_reused_tokens
                yield chunk
                if generator.finished:
                    break
        finally:
            generator.close()
            with self._active_lock:
                self._active.remove(entry)
            if cache is not None:
                data, tokens = ctx.save_state()
                if tokens:
                    cache.store(LlamaState(tuple(tokens), data))
            self.last_generation_stats = {
                "prompt_tokens": generator.n_prompt_tokens,
                "cached_tokens": generator.n_reused_tokens,
                "generated_tokens": generator.n_generated,
                "decode_calls": generator.n_decode_calls,
                "drafted_tokens": generator.n_drafted,
                "accepted_draft_tokens": generator.n_draft_accepted,
                "grammar_resamples": generator.grammar_resamples,
                "grammar_engine": generator.grammar_engine,
            }

    def set_cache(self, cache: BaseLlamaCache | None) -> None:
        """Keep KV states of earlier prompts in ``cache`` (``LlamaRAMCache``, ``LlamaDiskCache``; None: off).

        Example::

            >>> from llama_native import Llama, LlamaRAMCache
            >>> from llama_native.testing import synthetic_model_path
            >>> llm = Llama(str(synthetic_model_path()), n_ctx=128)
            >>> llm.set_cache(LlamaRAMCache(capacity_bytes=16 << 20))
            >>> llm.cache is not None
            True
        """
        if cache is not None and not isinstance(cache, BaseLlamaCache):
            raise TypeError(f"cache must be a LlamaRAMCache or LlamaDiskCache, not {type(cache).__name__}")
        if cache is not None and self.context_params["n_parallel"] > 1:
            raise ValueError(
                "prompt caches apply to n_parallel=1; "
                "a parallel context keeps each sequence's tokens for the next request"
            )
        self.cache = cache

    @staticmethod
    def _restore_from_cache(ctx: _native.Context, cache: BaseLlamaCache, prompt_tokens: list[int]) -> None:
        """Load the cached state sharing the longest prefix with the prompt, when it beats the live KV."""
        live = common_prefix(ctx.cached_tokens(), prompt_tokens)
        found, state = cache.lookup(prompt_tokens)
        if state is not None and found > live:
            try:
                ctx.load_state(state.data, list(state.tokens))
            except ValueError:
                pass  # a state from another model or context size: evaluate the prompt instead

    def cancel(self) -> None:
        """Stop every generation running on this model (callable from any thread).

        A cancelled stream ends after at most one more token; the context is
        then free for the next caller.
        """
        with self._active_lock:
            active = list(self._active)
        for generator, _owner in active:
            generator.cancel()

    def _json_whitespace(self, value: str | None) -> str:
        """A call's whitespace mode for schema grammars (None: the model's default), checked."""
        from .schema import WHITESPACE_MODES

        if value is None:
            return self.json_whitespace
        if value not in WHITESPACE_MODES:
            raise ValueError(f"json_whitespace must be one of {', '.join(WHITESPACE_MODES)}, got {value!r}")
        return value

    def create_completion(
        self,
        prompt: str | bytes | Sequence[int],
        suffix: str | None = None,
        max_tokens: int | None = 16,
        temperature: float = 0.8,
        top_p: float = 0.95,
        min_p: float = 0.05,
        typical_p: float = 1.0,
        logprobs: int | None = None,
        echo: bool = False,
        stop: None | str | list[str] = None,
        frequency_penalty: float = 0.0,
        presence_penalty: float = 0.0,
        repeat_penalty: float = 1.0,
        top_k: int = 40,
        stream: bool = False,
        seed: int | None = None,
        model: str | None = None,
        grammar: None | str | LlamaGrammar = None,
        logit_bias: dict[int | str, float] | None = None,
        json_schema: Any = None,
        prop_order: Sequence[str] | None = None,
        schema_prompt: bool = False,
        json_whitespace: str | None = None,
        **kwargs: Any,
    ) -> Completion | Iterator[CompletionChunk]:
        """Complete ``prompt``; returns a ``text_completion`` dict, or chunks with ``stream=True``.

        ``max_tokens=None`` (or 0) generates until an end-of-generation token,
        a stop string or the end of the context.  ``stop`` strings are never
        part of the text.  ``grammar`` (a :class:`LlamaGrammar` or GBNF text)
        constrains the output.  The last streamed chunk carries ``usage``.

        ``json_schema`` (a dict, JSON string, pydantic model or TypedDict)
        constrains the output to JSON that validates against it, keys in
        schema order or ``prop_order``.  Keywords the grammar only
        approximates are checked with ``jsonschema`` whenever a token would
        complete the value, and such a token is refused when the value would
        be invalid, so a completed output always validates;
        ``SchemaValidationError`` is raised (never invalid JSON returned) if
        the model paints itself into a corner where no valid ending is left.
        ``schema_prompt=True`` prepends the schema's skeleton with its field descriptions ("Generate JSON output in the
        following format: ...") to the prompt.  ``json_whitespace`` (default: the
        model's ``json_whitespace``, ``"free"``) is what the schema's grammar allows
        between JSON tokens: ``"free"``, ``"compact"`` or ``"pretty"``.

        Example::

            >>> from llama_native import Llama
            >>> from llama_native.testing import synthetic_model_path
            >>> llm = Llama(str(synthetic_model_path()), n_ctx=128)
            >>> out = llm.create_completion("x", max_tokens=3, grammar='root ::= "yes" | "no"', temperature=0)
            >>> out["choices"][0]["text"] in ("yes", "no")
            True
        """
        if suffix is not None:
            raise ValueError("suffix (fill-in-the-middle) is not supported")
        if logprobs is not None:
            raise ValueError("logprobs is not supported yet")
        unknown = set(kwargs) - _IGNORED_COMPLETION_ARGS
        if unknown:
            raise TypeError(f"create_completion() got unexpected keyword arguments: {', '.join(sorted(unknown))}")
        if json_schema is not None:
            if grammar is not None:
                raise ValueError("pass either grammar or json_schema, not both")
            grammar = LlamaGrammar.from_json_schema(
                json_schema, prop_order=prop_order, whitespace=self._json_whitespace(json_whitespace)
            )
        elif prop_order is not None:
            raise ValueError("prop_order needs json_schema")
        validator = grammar.json_schema if isinstance(grammar, LlamaGrammar) else None
        if schema_prompt:
            if validator is None:
                raise ValueError(
                    "schema_prompt=True needs json_schema (or a grammar from LlamaGrammar.from_json_schema)"
                )
            if not isinstance(prompt, (str, bytes)):
                raise ValueError("schema_prompt=True needs a text prompt, not token ids")
            text_prompt = prompt.decode("utf-8") if isinstance(prompt, bytes) else prompt
            prompt = schema_system_prompt(validator.schema) + "\n\n" + text_prompt
        prompt_tokens = self._prompt_tokens(prompt)
        sampling = sampling_params(
            temperature=temperature,
            top_k=top_k,
            top_p=top_p,
            min_p=min_p,
            typical_p=typical_p,
            repeat_penalty=repeat_penalty,
            presence_penalty=presence_penalty,
            frequency_penalty=frequency_penalty,
            penalty_last_n=self.last_n_tokens_size,
            seed=resolve_seed(seed, self.seed),
            logit_bias=logit_bias,
            grammar=grammar,
            n_vocab=self._model.n_vocab,
            grammar_engine=self.grammar_engine,
        )
        gen = generation_params(max_tokens, stop)
        gen.jump_forward = self.jump_forward
        if self.draft_model is not None:
            gen.draft_ngram_max = self.draft_model.max_ngram_size
            gen.draft_num_pred = self.draft_model.num_pred_tokens
        completion_id = f"cmpl-{uuid.uuid4()}"
        created = int(time.time())
        model_name = model or self.model_path
        prefix = ""
        if echo:
            prefix = self._model.detokenize(prompt_tokens, False).decode("utf-8", errors="replace")
        stats: dict[str, int] = {"cached_tokens": 0}
        end_check = grammar.end_check if isinstance(grammar, LlamaGrammar) else None
        chunks = self._native_generator(prompt_tokens, sampling, gen, stats, end_check, whole=not stream)
        if stream:
            return self._stream_completion(
                chunks, prompt_tokens, prefix, completion_id, created, model_name, validator, stats
            )
        texts = [prefix]
        n_generated = 0
        finish_reason = "length"
        for chunk in chunks:
            texts.append(chunk.text)
            n_generated += len(chunk.tokens)
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
                {"text": "".join(texts), "index": 0, "logprobs": None, "finish_reason": _finish(finish_reason)}
            ],
            "usage": _usage(len(prompt_tokens), n_generated, stats["cached_tokens"]),
        }
        return completion

    def _stream_completion(
        self,
        chunks: Iterator[_native.Chunk],
        prompt_tokens: list[int],
        prefix: str,
        completion_id: str,
        created: int,
        model_name: str,
        validator: JsonSchemaGrammar | None,
        stats: dict[str, int],
    ) -> Iterator[CompletionChunk]:
        def make(text: str, finish_reason: str | None) -> CompletionChunk:
            return {
                "id": completion_id,
                "object": "text_completion",
                "created": created,
                "model": model_name,
                "choices": [{"text": text, "index": 0, "logprobs": None, "finish_reason": _finish(finish_reason)}],
            }

        n_generated = 0
        texts: list[str] = []
        try:
            if prefix:
                yield make(prefix, None)
            for chunk in chunks:
                n_generated += len(chunk.tokens)
                texts.append(chunk.text)
                if chunk.finish_reason:
                    if chunk.finish_reason == "cancelled":
                        return
                    if chunk.text:
                        yield make(chunk.text, None)
                    if validator is not None and chunk.finish_reason == "stop":
                        validator.validate("".join(texts))  # raises SchemaValidationError
                    final = make("", chunk.finish_reason)
                    final["usage"] = _usage(len(prompt_tokens), n_generated, stats["cached_tokens"])
                    yield final
                    return
                if chunk.text:
                    yield make(chunk.text, None)
        finally:
            chunks.close()  # type: ignore[attr-defined]

    def __call__(self, prompt: str | bytes | Sequence[int], *args: Any, **kwargs: Any) -> Any:
        """Same as :meth:`create_completion`."""
        return self.create_completion(prompt, *args, **kwargs)

    # ------------------------------------------------------------ lifecycle
    def reset(self) -> None:
        """Forget the KV cache (the next prompt is decoded from scratch)."""
        self._context().clear_cache()

    def close(self) -> None:
        """Free the context and the model now instead of at garbage collection."""
        self._ctx = None
        self._native_model = None
        if self._verbose_held:
            self._verbose_held = False
            _logging.release_verbose()

    def __enter__(self) -> Llama:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        if getattr(self, "_verbose_held", False):
            try:
                _logging.release_verbose()
            except Exception:
                pass

    def __repr__(self) -> str:
        return f"Llama(model_path={self.model_path!r})"


def _finish(reason: str | None) -> Literal["stop", "length", "cancelled"] | None:
    """The native loop's finish reason, typed as the results name it (a failed loop raises instead)."""
    return cast(Literal["stop", "length", "cancelled"] | None, reason)


def _usage(prompt_tokens: int, completion_tokens: int, cached_tokens: int = 0) -> CompletionUsage:
    """OpenAI usage; ``prompt_tokens_details.cached_tokens`` counts prompt tokens reused from the KV cache."""
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
        "prompt_tokens_details": {"cached_tokens": cached_tokens},
    }


# llama-cpp-python constructor arguments that have no effect here (accepted so code ports unchanged).
_IGNORED_LLAMA_CPP_PYTHON_ARGS = frozenset(
    {
        "split_mode",
        "main_gpu",
        "tensor_split",
        "rpc_servers",
        "kv_overrides",
        "rope_scaling_type",
        "pooling_type",
        "rope_freq_base",
        "rope_freq_scale",
        "yarn_ext_factor",
        "yarn_attn_factor",
        "yarn_beta_fast",
        "yarn_beta_slow",
        "yarn_orig_ctx",
        "logits_all",
        "offload_kqv",
        "numa",
        "chat_handler",
        "tokenizer",
        "type_k",
        "type_v",
        "spm_infill",
        "lora_base",
        "lora_scale",
        "lora_path",
        "swa_full",
    }
)
_IGNORED_COMPLETION_ARGS = frozenset(
    {
        "tfs_z",
        "mirostat_mode",
        "mirostat_tau",
        "mirostat_eta",
        "stopping_criteria",
        "logits_processor",
    }
)
