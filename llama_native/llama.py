"""``Llama``: a loaded GGUF model with an OpenAI-shaped completion API.

The names and parameters follow llama-cpp-python's ``llama_cpp.Llama`` so
code ports by changing the import.  All inference runs in the compiled
extension with the GIL released; Python only receives finished text pieces.

``Llama`` delegates: loading to ``_loading``, a generation to
``_generation``, chat to ``_chat_api``, embeddings to ``_embedding_api``,
async calls to ``_threads``.  The module is longer than the project's 500
lines because ``Llama`` carries llama-cpp-python's full public signatures
with their documentation (most of its lines); its methods' bodies are short.

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
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from . import _chat_api, _embedding_api, _llguidance, _logging, _native
from ._generation import Logprobs, completion_result, run_token_loop
from ._loading import (
    ContextOverflowError,
    ModelLoadError,
    check_arguments,
    check_model_file,
    context_params,
    default_threads,
    load_projector,
    model_params,
    numa_strategy,
    refuse_unsupported,
)
from ._logprobs import LogprobsBuilder, log_softmax, prompt_logprobs
from ._lora import LoraAdapters, LoraSpec, normalize_loras
from ._sampling import DEFAULT_SEED, generation_params, resolve_seed, sampling_params, set_reasoning_budget
from ._threads import ActiveGenerations, run_in_own_thread, stream_in_own_thread
from .cache import BaseLlamaCache, LlamaState, common_prefix
from .chat.formats import ChatFormatter
from .chat.vision_handlers import MultimodalChatHandler
from .constants import (
    LLAMA_ATTENTION_TYPE_UNSPECIFIED,
    LLAMA_POOLING_TYPE_UNSPECIFIED,
    LLAMA_ROPE_SCALING_TYPE_UNSPECIFIED,
    LLAMA_SPLIT_MODE_LAYER,
)
from .grammar import LlamaGrammar, completion_grammar
from .images import load_image, prompt_size, tokenize_with_images
from .llama_types import Completion, CompletionChunk
from .speculative import PromptLookupDecoding
from .system import warn_if_amx_in_use

LLAMA_DEFAULT_SEED = DEFAULT_SEED


class Llama:
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
        split_mode, main_gpu, tensor_split: how a GPU build spreads the model over devices
            (``LLAMA_SPLIT_MODE_*``), as llama.cpp's ``-sm``/``-mg``/``-ts``.
        kv_overrides: GGUF metadata to override at load, ``{"key": bool | int | float | str}``.
        rope_scaling_type, rope_freq_base, rope_freq_scale, yarn_ext_factor, yarn_attn_factor,
            yarn_beta_fast, yarn_beta_slow, yarn_orig_ctx: RoPE/YaRN context extension, passed to
            llama.cpp (defaults: the model's).
        pooling_type, attention_type: for embeddings (``LLAMA_POOLING_TYPE_*``; default: the model's).
        type_k, type_v: KV-cache element types (``GGML_TYPE_*`` or ``"q8_0"``, ``"q4_0"``, ...;
            a quantized V cache needs flash attention).
        offload_kqv, op_offload, swa_full, no_perf: llama.cpp's context flags of those names.
        logits_all: keep the logits of every position :meth:`eval` decodes in :attr:`scores`.
        lora_path, lora_scale: LoRA adapter(s): a path, or a list of paths or ``(path, scale)``
            pairs; :meth:`set_lora` changes them between calls.  ``lora_base`` is refused
            (llama.cpp applies adapters to the loaded model).
        numa: NUMA policy (True: distribute, or a ``GGML_NUMA_STRATEGY_*``).
        tokenizer: a ``llama_tokenizer.BaseLlamaTokenizer`` (say ``LlamaHFTokenizer``) that
            tokenizes text prompts instead of the GGUF's tokenizer.
        chat_handler: a callable that answers :meth:`create_chat_completion` itself
            (``handler(llama=self, messages=..., **request)``), as in llama-cpp-python; a
            multimodal one (``Llava15ChatHandler(clip_model_path=...)`` and the others in
            ``llama_chat_format``) loads its projector as ``mmproj_path`` does.
        mmproj_path: the image projector (``mmproj``) GGUF made for this model; chat messages
            may then hold OpenAI ``image_url`` parts (data URLs, paths, file and HTTP(S) URLs),
            read by llama.cpp's libmtmd.
        spm_infill: for ``suffix`` (fill-in-the-middle) prompts, put the suffix first (SPM order).
        use_extra_bufts: let ggml repack weights into its extra CPU buffer types (``CPU_REPACK``:
            faster Q4_0/Q4_K/IQ4_NL matrix products on AVX2/AVX-512; ``AMX`` only in a build with
            ``-DLLAMA_NATIVE_AMX=ON``).  False is llama-server's ``--no-repack``.
            :attr:`buffer_types` says what the loaded model uses.
        n_ctx: 0 uses the model's trained context length.

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
        split_mode: int = LLAMA_SPLIT_MODE_LAYER,
        main_gpu: int = 0,
        tensor_split: Sequence[float] | None = None,
        kv_overrides: dict[str, bool | int | float | str] | None = None,
        rope_scaling_type: int = LLAMA_ROPE_SCALING_TYPE_UNSPECIFIED,
        pooling_type: int = LLAMA_POOLING_TYPE_UNSPECIFIED,
        attention_type: int = LLAMA_ATTENTION_TYPE_UNSPECIFIED,
        rope_freq_base: float = 0.0,
        rope_freq_scale: float = 0.0,
        yarn_ext_factor: float = -1.0,
        yarn_attn_factor: float | None = None,
        yarn_beta_fast: float | None = None,
        yarn_beta_slow: float | None = None,
        yarn_orig_ctx: int = 0,
        logits_all: bool = False,
        offload_kqv: bool = True,
        op_offload: bool | None = None,
        swa_full: bool | None = None,
        no_perf: bool = False,
        lora_base: str | None = None,
        lora_scale: float = 1.0,
        lora_path: LoraSpec = None,
        numa: bool | int = False,
        chat_handler: Callable[..., Any] | None = None,
        tokenizer: Any = None,
        type_k: int | str | None = None,
        type_v: int | str | None = None,
        spm_infill: bool = False,
        rpc_servers: str | Sequence[str] | None = None,
        mmproj_path: str | os.PathLike[str] | None = None,
        use_extra_bufts: bool = True,
        **kwargs: Any,
    ) -> None:
        self._native_model: _native.Model | None = None
        self._ctx: _native.Context | None = None
        self._verbose_held = False
        self.model_path = os.fspath(model_path)
        self.verbose = verbose
        n_threads = default_threads() if n_threads is None else n_threads
        n_threads_batch = n_threads if n_threads_batch is None else n_threads_batch
        refuse_unsupported(lora_base=lora_base, extra=kwargs)
        check_arguments(
            n_ctx=n_ctx,
            n_batch=n_batch,
            n_ubatch=n_ubatch,
            n_parallel=n_parallel,
            n_threads=n_threads,
            n_threads_batch=n_threads_batch,
            n_gpu_layers=n_gpu_layers,
            seed=seed,
        )
        if chat_format is not None:
            from .chat.formats import get_chat_formatter

            get_chat_formatter(chat_format)  # ValueError naming the known formats
        self.chat_format = chat_format
        self._chat_formatter: ChatFormatter | None = None
        self._chat_formatter_key: tuple[str | None, str | None] = (None, None)
        if draft_model is not None and not isinstance(draft_model, PromptLookupDecoding):
            raise ValueError(
                "draft_model must be a PromptLookupDecoding (n-gram prompt lookup); draft models are not supported yet"
            )
        self.draft_model = draft_model
        self.grammar_engine = _llguidance.resolve_engine(grammar_engine)
        self.jump_forward = bool(jump_forward)
        self.json_whitespace = self._json_whitespace(json_whitespace)
        if chat_handler is not None and not callable(chat_handler):
            raise ValueError(f"chat_handler must be callable, got {type(chat_handler).__name__}")
        self.chat_handler = chat_handler
        if isinstance(chat_handler, MultimodalChatHandler):
            if mmproj_path is not None and os.fspath(mmproj_path) != chat_handler.clip_model_path:
                raise ValueError("give the projector once: mmproj_path or the chat handler's clip_model_path")
            mmproj_path = chat_handler.clip_model_path
        #: the image projector GGUF (None: this model reads no images)
        self.mmproj_path = os.fspath(mmproj_path) if mmproj_path is not None else None
        self._projector: _native.Projector | None = None
        if tokenizer is not None and not (hasattr(tokenizer, "tokenize") and hasattr(tokenizer, "detokenize")):
            raise ValueError("tokenizer must have tokenize() and detokenize() (a llama_tokenizer.BaseLlamaTokenizer)")
        self._tokenizer_override = tokenizer
        self.spm_infill = bool(spm_infill)
        self.logits_all = bool(logits_all)
        loras = normalize_loras(lora_path, lora_scale)
        self.lora_base, self.lora_path, self.lora_scale = lora_base, lora_path, lora_scale
        self.numa = numa_strategy(numa)

        check_model_file(self.model_path)
        if verbose:
            _logging.acquire_verbose()
            self._verbose_held = True
            if progress_callback is None:
                progress_callback = _logging.ProgressPrinter(self.model_path)
        self.model_params, params = model_params(
            n_gpu_layers=n_gpu_layers,
            split_mode=split_mode,
            main_gpu=main_gpu,
            tensor_split=tensor_split,
            use_mmap=use_mmap,
            use_mlock=use_mlock,
            vocab_only=vocab_only,
            kv_overrides=kv_overrides,
            rpc_servers=rpc_servers,
            use_extra_bufts=use_extra_bufts,
        )
        if self.numa:
            _native.numa_init(self.numa)
        try:
            self._native_model = _native.Model(self.model_path, params, progress_callback)
        except RuntimeError as exc:
            raise ModelLoadError(str(exc)) from None
        warn_if_amx_in_use(self._native_model.buffer_types(), self.model_path)

        self.seed = seed
        self.last_n_tokens_size = last_n_tokens_size
        self.metadata: dict[str, str] = self._native_model.metadata()
        self.chat_template: str | None = self._native_model.chat_template() or None
        self.context_params, native_params = context_params(
            n_ctx=n_ctx or self._native_model.n_ctx_train,
            n_batch=n_batch,
            n_ubatch=n_ubatch,
            n_threads=n_threads,
            n_threads_batch=n_threads_batch,
            embedding=embedding,
            flash_attn=flash_attn,
            n_parallel=n_parallel,
            rope_scaling_type=rope_scaling_type,
            pooling_type=pooling_type,
            attention_type=attention_type,
            rope_freq_base=rope_freq_base,
            rope_freq_scale=rope_freq_scale,
            yarn_ext_factor=yarn_ext_factor,
            yarn_attn_factor=yarn_attn_factor,
            yarn_beta_fast=yarn_beta_fast,
            yarn_beta_slow=yarn_beta_slow,
            yarn_orig_ctx=yarn_orig_ctx,
            type_k=type_k,
            type_v=type_v,
            offload_kqv=offload_kqv,
            op_offload=op_offload,
            swa_full=swa_full,
            no_perf=no_perf,
        )
        self._loras = LoraAdapters(self._native_model)
        if not vocab_only:
            try:
                self._ctx = _native.Context(self._native_model, native_params)
            except RuntimeError as exc:
                raise ValueError(f"cannot create a context for '{self.model_path}': {exc}") from None
        if loras:
            self._loras.apply(self._ctx, loras)
        if self.mmproj_path is not None:
            self._projector = load_projector(self._native_model, self.mmproj_path, n_threads, n_gpu_layers != 0)
            if isinstance(chat_handler, MultimodalChatHandler) and self.chat_format is None:
                # a GGUF without a template gets the handler's format
                self.chat_template = self.chat_template or chat_handler.CHAT_FORMAT
        #: tokens evaluated by :meth:`eval` (llama-cpp-python's low-level state)
        self.input_ids: list[int] = []
        self._scores: list[np.ndarray] = []
        self._generations = ActiveGenerations()
        #: counters of the most recent generation on this model (decode calls, drafts, ...), for benchmarks
        self.last_generation_stats: dict[str, Any] = {}
        #: prompt cache set by :meth:`set_cache` (None: the context's own prefix reuse only)
        self.cache: BaseLlamaCache | None = None

    @classmethod
    def from_pretrained(
        cls,
        repo_id: str,
        filename: str,
        additional_files: list[str] | None = None,
        local_dir: str | os.PathLike | None = None,
        local_dir_use_symlinks: bool | str = "auto",
        cache_dir: str | os.PathLike | None = None,
        revision: str | None = None,
        **kwargs: Any,
    ) -> Llama:
        """A model from a Hugging Face repository (``pip install 'llama-native[hub]'``), as llama-cpp-python's.

        ``filename`` is a glob that must match one file (``"*Q4_K_M.gguf"``);
        ``additional_files`` (globs) come along (the rest of a split model);
        ``local_dir`` receives the files instead of the hub cache
        (``cache_dir``); ``revision`` pins a branch, tag or commit.  Other
        arguments go to :class:`Llama`.  With ``HF_HUB_OFFLINE=1`` a cached
        model loads without a network.  ``ValueError`` names an unknown
        repository or a glob that matches no file or several.

        Example::

            llm = Llama.from_pretrained("bartowski/SmolLM2-135M-Instruct-GGUF", "*Q4_K_M.gguf", n_ctx=2048)
        """
        from . import hub

        if local_dir_use_symlinks != "auto":
            raise ValueError(
                "local_dir_use_symlinks: huggingface_hub no longer links into local_dir (files are copied); "
                "leave it at 'auto'"
            )
        path = hub.download(repo_id, filename, additional_files, local_dir, cache_dir, revision)
        return cls(model_path=path, **kwargs)

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

    # ------------------------------------------------------------------ images
    @property
    def supports_images(self) -> bool:
        """Whether chat messages may hold images (the model was loaded with a projector, ``mmproj_path``)."""
        return self._projector is not None

    def count_image_tokens(self, image_url: str) -> int:
        """The prompt tokens an image takes (its model's image markers included), as a chat prompt holds it.

        ``image_url`` is what an ``image_url`` content part would hold: a data URL,
        a path, a ``file://`` or an HTTP(S) URL.

        Example::

            >>> from llama_native import Llama
            >>> from llama_native.testing import synthetic_model_path, synthetic_projector_path
            >>> llm = Llama(str(synthetic_model_path()), mmproj_path=str(synthetic_projector_path()), n_ctx=256)
            >>> import base64, io
            >>> from PIL import Image
            >>> buf = io.BytesIO(); Image.new("RGB", (64, 48)).save(buf, "PNG")
            >>> llm.count_image_tokens("data:image/png;base64," + base64.b64encode(buf.getvalue()).decode())
            16
        """
        if self._projector is None:
            raise ValueError("this model has no projector (load it with mmproj_path=...), so it reads no images")
        image = load_image(image_url, "the image")
        tokens, media = tokenize_with_images(self._projector, [b"", b""], [image], False, True)
        return prompt_size(tokens, media)

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
    def _prompt_tokens(self, prompt: str | bytes | Sequence[int], media: Any = None) -> list[int]:
        if isinstance(prompt, (str, bytes)) and self._tokenizer_override is not None:
            text = prompt.encode("utf-8") if isinstance(prompt, str) else prompt
            ids = self._tokenizer_override.tokenize(text, add_bos=self._model.add_bos, special=True)
            prompt = [int(t) for t in ids]
        if isinstance(prompt, (str, bytes)):
            tokens = self._model.tokenize(prompt, self._model.add_bos, True)
        else:
            tokens = [int(t) for t in prompt]
            n_vocab = self._model.n_vocab
            for t in tokens:
                if not 0 <= t < n_vocab and not (media is not None and t < 0):  # (an image's placeholders)
                    raise ValueError(f"prompt token {t} is outside the vocabulary (0..{n_vocab - 1})")
        if not tokens:
            raise ValueError("the prompt is empty (and the model adds no BOS token)")
        n_ctx = self.n_ctx()
        n_tokens = prompt_size(tokens, media)
        if n_tokens > n_ctx:
            n_images = len(media.runs) if media is not None else 0
            raise ContextOverflowError(n_tokens, n_ctx, media.n_media_tokens if n_images else 0, n_images)
        return tokens

    def _infill_prompt(self, prompt: str | bytes | Sequence[int], suffix: str) -> list[int]:
        """The fill-in-the-middle prompt (prefix, suffix, middle tokens; suffix first with ``spm_infill``)."""
        m = self._model
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
        body = suf + pre if self.spm_infill else pre + suf
        return ([m.token_bos] if m.add_bos and m.token_bos >= 0 else []) + body + [m.token_fim_mid]

    def _native_generator(
        self,
        prompt_tokens: list[int],
        sampling: _native.SamplingParams,
        gen: _native.GenerationParams,
        stats: dict[str, int] | None = None,
        end_check: Callable[[str], bool] | None = None,
        whole: bool = False,
        logits_processor: Callable[..., Any] | None = None,
        stopping_criteria: Callable[..., Any] | None = None,
        media: Any = None,
    ) -> Iterator[_native.Chunk]:
        """Chunks of one generation on this model's context (see :func:`_generation.run_token_loop`)."""

        def record(counters: dict[str, Any]) -> None:
            self.last_generation_stats = counters

        return run_token_loop(
            self._context(),
            self._generations,
            self.cache,
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

    def cancel(self) -> None:
        """Stop every generation running on this model (callable from any thread).

        A cancelled stream ends after at most one more token; the context is
        then free for the next caller.
        """
        self._generations.cancel_all()

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
        reasoning_budget: int | None = None,
        reasoning_markers: Sequence[str] | None = None,
        tfs_z: float = 1.0,
        mirostat_mode: int = 0,
        mirostat_tau: float = 5.0,
        mirostat_eta: float = 0.1,
        stopping_criteria: Callable[[np.ndarray, np.ndarray], bool] | None = None,
        logits_processor: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
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
        ``reasoning_budget`` caps the tokens written inside a reasoning block
        whose opening and closing markers ``reasoning_markers`` names
        (``("<think>", "</think>")``); once spent, the closing marker is
        forced, as llama-server's ``--reasoning-budget`` (0: close at once).

        ``logprobs=N`` reports each generated token's log-probability and the
        ``N`` most likely tokens at its position (OpenAI's legacy shape:
        ``tokens``, ``text_offset``, ``token_logprobs``, ``top_logprobs``),
        streamed chunks too; with ``echo`` the prompt's tokens come first.
        ``suffix`` makes a fill-in-the-middle prompt from the model's FIM
        tokens (``ValueError`` for a model without them); the text is the
        middle.  ``mirostat_mode`` 1 or 2 samples with Mirostat (v1/v2)
        instead of top-k/top-p/min-p (temperature 0 stays greedy).
        ``tfs_z`` other than 1.0 raises ``NotImplementedError`` (llama.cpp
        removed tail-free sampling).  ``logits_processor(input_ids, scores)
        -> scores`` and ``stopping_criteria(input_ids, scores) -> bool`` are
        llama-cpp-python's hooks (a ``LogitsProcessorList`` /
        ``StoppingCriteriaList`` or any callable; numpy arrays; input_ids
        holds the prompt and the tokens so far); the criteria see the token
        just chosen in input_ids, and the output keeps it.

        Example::

            >>> from llama_native import Llama
            >>> from llama_native.testing import synthetic_model_path
            >>> llm = Llama(str(synthetic_model_path()), n_ctx=128)
            >>> out = llm.create_completion("x", max_tokens=3, grammar='root ::= "yes" | "no"', temperature=0)
            >>> out["choices"][0]["text"] in ("yes", "no")
            True
        """
        logprobs_shape = kwargs.pop("_logprobs_shape", "completion")  # the chat layer asks for its own shape
        media = kwargs.pop("_media", None)  # the chat layer's images (placeholder runs in its prompt tokens)
        if kwargs:
            raise TypeError(f"create_completion() got unexpected keyword arguments: {', '.join(sorted(kwargs))}")
        if logprobs is not None and (isinstance(logprobs, bool) or not isinstance(logprobs, int) or logprobs < 0):
            raise ValueError(f"logprobs must be an integer >= 0 (the number of top tokens to list), got {logprobs!r}")
        for name, hook in (("stopping_criteria", stopping_criteria), ("logits_processor", logits_processor)):
            if hook is not None and not callable(hook):
                raise ValueError(f"{name} must be callable (input_ids, scores), got {type(hook).__name__}")
        if suffix is not None:
            prompt = self._infill_prompt(prompt, suffix)
        prompt, grammar = completion_grammar(
            prompt, grammar, json_schema, prop_order, schema_prompt, self._json_whitespace(json_whitespace)
        )
        validator = grammar.json_schema if grammar is not None else None
        prompt_tokens = self._prompt_tokens(prompt, media)
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
            mirostat_mode=mirostat_mode,
            mirostat_tau=mirostat_tau,
            mirostat_eta=mirostat_eta,
            tfs_z=tfs_z,
        )
        if logprobs is not None:
            sampling.n_probs = logprobs
        if reasoning_budget is not None or reasoning_markers is not None:
            set_reasoning_budget(sampling, reasoning_budget, reasoning_markers, self._model, prompt_tokens)
        gen = generation_params(max_tokens, stop)
        gen.jump_forward = self.jump_forward and logprobs is None  # forced tokens need their logits then
        if self.draft_model is not None:
            gen.draft_ngram_max = self.draft_model.max_ngram_size
            gen.draft_num_pred = self.draft_model.num_pred_tokens
        prefix = self._model.detokenize(prompt_tokens, False).decode("utf-8", errors="replace") if echo else ""
        lp = None
        if logprobs is not None:
            echoed = prompt_logprobs(self._model, self.logits(prompt_tokens), prompt_tokens, logprobs) if echo else None
            lp = Logprobs(LogprobsBuilder(self._model, logprobs_shape, len(prefix)), echoed)
        stats: dict[str, int] = {"cached_tokens": 0}
        end_check = grammar.end_check if isinstance(grammar, LlamaGrammar) else None
        chunks = self._native_generator(
            prompt_tokens, sampling, gen, stats, end_check, not stream, logits_processor, stopping_criteria, media
        )
        return completion_result(
            chunks, prompt_size(prompt_tokens, media), prefix, model or self.model_path, validator, stats, stream, lp
        )

    # ------------------------------------------------------------------ chat
    @property
    def chat_formatter(self) -> ChatFormatter:
        """What turns messages into the prompt: ``chat_format`` if given, else the GGUF's template, else ChatML.

        ``chat_template`` (the GGUF's template when loaded) may be set to other
        template text; the formatter follows it.
        """
        key = (self.chat_format, self.chat_template)
        if self._chat_formatter is None or self._chat_formatter_key != key:
            self._chat_formatter = _chat_api.chat_formatter_for(self._model, self.chat_format, self.chat_template)
            self._chat_formatter_key = key
        return self._chat_formatter

    def create_chat_completion(
        self,
        messages: list[dict[str, Any]],
        functions: list[dict[str, Any]] | None = None,
        function_call: Any = None,
        tools: list[dict[str, Any]] | None = None,
        tool_choice: Any = None,
        temperature: float = 0.2,
        top_p: float = 0.95,
        top_k: int = 40,
        min_p: float = 0.05,
        typical_p: float = 1.0,
        stream: bool = False,
        stop: None | str | list[str] = None,
        seed: int | None = None,
        response_format: Any = None,
        max_tokens: int | None = None,
        presence_penalty: float = 0.0,
        frequency_penalty: float = 0.0,
        repeat_penalty: float = 1.0,
        model: str | None = None,
        grammar: None | str | LlamaGrammar = None,
        logit_bias: dict[int | str, float] | None = None,
        logprobs: bool | None = None,
        top_logprobs: int | None = None,
        parallel_tool_calls: bool | None = None,
        schema_prompt: bool = False,
        prop_order: list[str] | None = None,
        chat_template_kwargs: dict[str, Any] | None = None,
        json_whitespace: str | None = None,
        max_tool_calls: int | None = None,
        reasoning_budget: int | None = None,
        tfs_z: float = 1.0,
        mirostat_mode: int = 0,
        mirostat_tau: float = 5.0,
        mirostat_eta: float = 0.1,
        logits_processor: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
        **kwargs: Any,
    ) -> dict[str, Any] | Iterator[dict[str, Any]]:
        """Answer ``messages``: a ``chat.completion`` dict, or ``chat.completion.chunk`` dicts with ``stream=True``.

        ``response_format`` is ``{"type": "json_object"}`` (any JSON object),
        ``{"type": "json_object", "schema": {...}}`` or OpenAI's
        ``{"type": "json_schema", "json_schema": {"name": ..., "schema": {...}}}``:
        the reply is then JSON that validates.  ``tools`` (OpenAI format) with
        ``tool_choice`` "auto" (default), "required", "none" or
        ``{"type": "function", "function": {"name": ...}}`` produce
        ``tool_calls`` whose arguments always validate against the tool's
        parameters.  ``schema_prompt=True`` adds the schema's field
        descriptions to the system message; ``prop_order`` puts the listed
        keys of the ``response_format`` schema first.  ``json_whitespace``
        (``"free"``, ``"compact"``, ``"pretty"``; default: the model's) is what
        the schema and tool-argument grammars allow between JSON tokens.
        A reply holds at most ``max_tool_calls`` calls (default: one per
        tool; one with ``parallel_tool_calls=False`` or a named choice), so
        a model cannot repeat calls until ``max_tokens``; a reply cut by
        ``max_tokens`` keeps the calls completed before the cut
        (``finish_reason="length"``).  The last streamed chunk carries
        ``usage``.  A template that marks reasoning (``<think>``, gpt-oss's
        analysis channel, ...) gets it back apart, as ``reasoning_content``;
        ``reasoning_budget`` caps its tokens, then the end of thinking is
        forced (``ValueError`` for a template that marks none).
        ``logprobs=True`` (with ``top_logprobs=N``) reports each token's
        log-probability in OpenAI's chat shape, streamed chunks too;
        ``mirostat_*``, ``tfs_z`` and ``logits_processor`` act as in
        :meth:`create_completion`.

        Example::

            >>> from llama_native import Llama
            >>> from llama_native.testing import synthetic_model_path
            >>> llm = Llama(str(synthetic_model_path()), n_ctx=256)
            >>> choice = {"type": "json_schema", "json_schema": {"name": "c", "schema": {"enum": ["a", "b"]}}}
            >>> out = llm.create_chat_completion([{"role": "user", "content": "Pick one"}], response_format=choice)
            >>> out["choices"][0]["message"]["content"] in ('"a"', '"b"')
            True
        """
        if self.chat_handler is not None and not isinstance(self.chat_handler, MultimodalChatHandler):
            request = {k: v for k, v in locals().items() if k not in ("self", "messages", "kwargs", "__class__")}
            return self.chat_handler(llama=self, messages=messages, **request, **kwargs)
        return _chat_api.create_chat_completion(
            self.create_completion,
            self.chat_formatter,
            self._model,
            self._json_whitespace(json_whitespace),
            messages,
            functions=functions,
            function_call=function_call,
            tools=tools,
            tool_choice=tool_choice,
            response_format=response_format,
            grammar=grammar,
            stop=stop,
            stream=stream,
            logprobs=logprobs,
            top_logprobs=top_logprobs,
            parallel_tool_calls=parallel_tool_calls,
            schema_prompt=schema_prompt,
            prop_order=prop_order,
            chat_template_kwargs=chat_template_kwargs,
            max_tool_calls=max_tool_calls,
            reasoning_budget=reasoning_budget,
            projector=self._projector,
            sampling=dict(
                max_tokens=max_tokens,
                temperature=temperature,
                top_p=top_p,
                top_k=top_k,
                min_p=min_p,
                typical_p=typical_p,
                seed=seed,
                model=model,
                presence_penalty=presence_penalty,
                frequency_penalty=frequency_penalty,
                repeat_penalty=repeat_penalty,
                logit_bias=logit_bias,
                tfs_z=tfs_z,
                mirostat_mode=mirostat_mode,
                mirostat_tau=mirostat_tau,
                mirostat_eta=mirostat_eta,
                logits_processor=logits_processor,
                **kwargs,
            ),
        )

    def create_chat_completion_openai_v1(self, *args: Any, **kwargs: Any) -> Any:
        """:meth:`create_chat_completion` returning the ``openai`` package's types.

        ``ChatCompletion`` (or an iterator of ``ChatCompletionChunk`` with
        ``stream=True``), so OpenAI-client code and ``instructor`` work::

            import instructor
            create = instructor.patch(create=llm.create_chat_completion_openai_v1, mode=instructor.Mode.JSON_SCHEMA)
            person = create(messages=[...], response_model=Person, max_retries=2)
        """
        return _chat_api.as_openai_types(self.create_chat_completion(*args, **kwargs), bool(kwargs.get("stream")))

    async def acreate_chat_completion_openai_v1(self, *args: Any, **kwargs: Any) -> Any:
        """Async :meth:`create_chat_completion_openai_v1` (an async iterator with ``stream=True``)."""
        result = await self.acreate_chat_completion(*args, **kwargs)
        return _chat_api.as_openai_types_async(result, bool(kwargs.get("stream")))

    # ----------------------------------------------------------------- async
    async def acreate_completion(self, *args: Any, **kwargs: Any) -> Any:
        """Awaitable :meth:`create_completion`; with ``stream=True`` an async iterator of chunks.

        The call runs on a thread of its own (``_threads``), so the event loop
        keeps running; cancelling the task or leaving the stream stops the
        generation within one token.

        Example::

            >>> import asyncio
            >>> from llama_native import Llama
            >>> from llama_native.testing import synthetic_model_path
            >>> llm = Llama(str(synthetic_model_path()), n_ctx=128)
            >>> async def main():
            ...     out = await llm.acreate_completion("x", max_tokens=3, grammar='root ::= "ok"')
            ...     chunks = [c async for c in await llm.acreate_completion("x", max_tokens=3, stream=True)]
            ...     return out["choices"][0]["text"], chunks[-1]["choices"][0]["finish_reason"] is not None
            >>> asyncio.run(main())
            ('ok', True)
        """
        if kwargs.get("stream"):
            return stream_in_own_thread(
                lambda: self.create_completion(*args, **kwargs), self._generations.cancel_thread
            )
        return await run_in_own_thread(lambda: self.create_completion(*args, **kwargs), self._generations.cancel_thread)

    async def acreate_chat_completion(self, *args: Any, **kwargs: Any) -> Any:
        """Awaitable :meth:`create_chat_completion`; with ``stream=True`` an async iterator of chunks."""
        work = lambda: self.create_chat_completion(*args, **kwargs)  # noqa: E731
        if kwargs.get("stream"):
            return stream_in_own_thread(work, self._generations.cancel_thread)
        return await run_in_own_thread(work, self._generations.cancel_thread)

    # ------------------------------------------------------------ embeddings
    def embed(
        self, input: str | Sequence[str], normalize: bool = False, truncate: bool = True, return_count: bool = False
    ) -> Any:
        """Embedding of a string (a list of floats), or of each string in a list, as llama-cpp-python's ``embed``.

        The pooling is the model's own (mean, CLS, last, ... from its GGUF);
        ``normalize=True`` scales each vector to unit length; inputs longer
        than the batch are cut when ``truncate`` (else ``ValueError``).
        ``return_count=True`` also returns the number of tokens embedded.
        Needs ``Llama(..., embedding=True)``.
        """
        if not self.context_params.get("embedding"):
            raise ValueError("this model was loaded without embedding=True; load it with Llama(..., embedding=True)")
        result, count = _embedding_api.embed(
            self._model, self._context(), self.context_params["n_batch"], input, normalize, truncate
        )
        return (result, count) if return_count else result

    def create_embedding(self, input: str | Sequence[str], model: str | None = None) -> dict[str, Any]:
        """OpenAI-shaped embeddings: ``{"object": "list", "data": [{"embedding", "index"}], "usage"}``."""
        vectors, count = self.embed([input] if isinstance(input, str) else list(input), return_count=True)
        return _embedding_api.embedding_response(vectors, count, model or self.model_path)

    async def aembed(self, input: str | Sequence[str], normalize: bool = False, truncate: bool = True) -> Any:
        """Awaitable :meth:`embed` (runs on a thread of its own; the event loop keeps running)."""
        return await run_in_own_thread(lambda: self.embed(input, normalize, truncate), self._generations.cancel_thread)

    def __call__(self, prompt: str | bytes | Sequence[int], *args: Any, **kwargs: Any) -> Any:
        """Same as :meth:`create_completion`."""
        return self.create_completion(prompt, *args, **kwargs)

    # ------------------------------------------------------------------ LoRA
    @property
    def loras(self) -> list[tuple[str, float]]:
        """The active LoRA adapters as ``(path, scale)`` pairs."""
        return list(self._loras.active)

    def set_lora(self, lora_path: LoraSpec, lora_scale: float = 1.0) -> None:
        """Make ``lora_path`` (a path, a list of paths or ``(path, scale)`` pairs; None: none) the active adapters.

        Adapters load once per path; switching clears the KV cache (it was
        computed with other weights) and waits for a running generation.

        Example::

            >>> from llama_native import Llama
            >>> from llama_native.testing import synthetic_model_path, synthetic_lora_path
            >>> llm = Llama(str(synthetic_model_path()), n_ctx=64)
            >>> llm.set_lora([(str(synthetic_lora_path()), 0.5)]); [s for _, s in llm.loras]
            [0.5]
        """
        self._loras.apply(self._context(), normalize_loras(lora_path, lora_scale))

    # --------------------------------------------- state and low-level use
    def save_state(self) -> LlamaState:
        """The KV state of what the context holds (prompt and completion of the last call, or :meth:`eval`'s tokens).

        :meth:`load_state` into a fresh ``Llama`` of the same model and
        settings continues exactly as this one would.

        Example::

            >>> from llama_native import Llama
            >>> from llama_native.testing import synthetic_model_path
            >>> llm = Llama(str(synthetic_model_path()), n_ctx=64)
            >>> llm.eval(llm.tokenize(b"hello world"))
            >>> state = llm.save_state()
            >>> other = Llama(str(synthetic_model_path()), n_ctx=64); other.load_state(state)
            >>> other.n_tokens == llm.n_tokens
            True
        """
        if self.context_params["n_parallel"] > 1:
            raise ValueError("save_state needs n_parallel=1 (a parallel context holds several sequences)")
        data, tokens = self._context().save_state()
        scores = self._scores[-1] if self._scores else None
        return LlamaState(tuple(tokens), data, seed=self.seed, scores=scores)

    def load_state(self, state: LlamaState) -> None:
        """Restore a :meth:`save_state` state (``ValueError`` if it does not fit this model and context)."""
        if not isinstance(state, LlamaState):
            raise TypeError(f"state must be a LlamaState, not {type(state).__name__}")
        if self.context_params["n_parallel"] > 1:
            raise ValueError("load_state needs n_parallel=1 (a parallel context holds several sequences)")
        self._context().load_state(state.data, list(state.tokens))
        self.input_ids = list(state.tokens)
        self._scores = [state.scores] if state.scores is not None else []

    @property
    def buffer_types(self) -> dict[str, int]:
        """Bytes of the model's weights in each ggml buffer type (``{"CPU": ..., "CPU_REPACK": ...}``).

        ``CPU_REPACK`` holds weights ggml repacked for its faster AVX2/AVX-512 kernels
        (see ``use_extra_bufts``); ``AMX`` appears only in a ``-DLLAMA_NATIVE_AMX=ON`` build.
        """
        return dict(self._model.buffer_types())

    @property
    def n_tokens(self) -> int:
        """Tokens :meth:`eval` has put in the context (llama-cpp-python's ``n_tokens``)."""
        return len(self.input_ids)

    @property
    def scores(self) -> np.ndarray:
        """Logits rows of the evaluated tokens: every position with ``logits_all=True``, else the last one."""
        if not self._scores:
            return np.zeros((0, self.n_vocab()), dtype=np.float32)
        return np.stack(self._scores)

    def eval(self, tokens: Sequence[int]) -> None:
        """Append ``tokens`` to the context and decode them (prefix reuse: only new positions are computed)."""
        ids = self.input_ids + [int(t) for t in tokens]
        try:
            first, raw = self._context().eval(ids, self.logits_all)
        except (IndexError, ValueError) as exc:
            raise ValueError(str(exc)) from None
        rows = np.frombuffer(raw, dtype=np.float32).reshape(-1, self.n_vocab())
        self._scores = (self._scores[:first] if self.logits_all else []) + list(rows)
        self.input_ids = ids

    def sample(
        self,
        top_k: int = 40,
        top_p: float = 0.95,
        min_p: float = 0.05,
        typical_p: float = 1.0,
        temp: float = 0.80,
        repeat_penalty: float = 1.0,
        frequency_penalty: float = 0.0,
        presence_penalty: float = 0.0,
        tfs_z: float = 1.0,
        mirostat_mode: int = 0,
        mirostat_eta: float = 0.1,
        mirostat_tau: float = 5.0,
        penalize_nl: bool = True,
        logits_processor: Callable[..., Any] | None = None,
        grammar: Any = None,
        idx: int | None = None,
    ) -> int:
        """One token sampled from the logits of the last evaluated position, as llama-cpp-python's ``sample``.

        Nothing is evaluated: the token is neither decoded nor added to
        :attr:`input_ids` (pass it to :meth:`eval` to continue).  Each call
        uses a fresh sampler, as llama-cpp-python does (the penalties see no
        history); ``idx`` picks another evaluated position when the context
        keeps every row (``logits_all=True``).  ``grammar`` is refused (a
        grammar's state spans tokens: use :meth:`generate` or
        :meth:`create_completion`).

        Example::

            >>> from llama_native import Llama
            >>> from llama_native.testing import synthetic_model_path
            >>> llm = Llama(str(synthetic_model_path()), n_ctx=64)
            >>> llm.eval(llm.tokenize(b"the quick"))
            >>> for _ in range(3):
            ...     llm.eval([llm.sample(temp=0)])
            >>> llm.n_tokens == len(llm.tokenize(b"the quick")) + 3
            True
        """
        if grammar is not None:
            raise NotImplementedError("sample(grammar=...): a grammar's state spans tokens; use generate(grammar=...)")
        if not penalize_nl:
            raise NotImplementedError("penalize_nl=False: llama.cpp's penalties no longer exempt the newline token")
        if not self.input_ids:
            raise ValueError("nothing evaluated yet: call eval(tokens) first")
        row = self._scores_row(idx)
        if logits_processor is not None:
            row = np.asarray(logits_processor(np.asarray(self.input_ids, dtype=np.intc), row.copy()), dtype=np.float32)
            if row.shape != (self.n_vocab(),):
                raise ValueError(f"logits_processor must return {self.n_vocab()} logits, got shape {row.shape}")
        sampling = self._low_level_sampling(
            dict(temperature=temp, top_k=top_k, top_p=top_p, min_p=min_p, typical_p=typical_p,
                 repeat_penalty=repeat_penalty, presence_penalty=presence_penalty,
                 frequency_penalty=frequency_penalty, mirostat_mode=mirostat_mode, mirostat_tau=mirostat_tau,
                 mirostat_eta=mirostat_eta, tfs_z=tfs_z),
            seed=None, grammar=None,
        )  # fmt: skip
        return int(_native.sample_logits(self._model, sampling, np.ascontiguousarray(row, np.float32).tobytes()))

    def _low_level_sampling(
        self, options: dict[str, Any], seed: int | None, grammar: None | str | LlamaGrammar
    ) -> _native.SamplingParams:
        """The native sampling parameters of :meth:`sample` and :meth:`generate` (llama-cpp-python's names mapped)."""
        return sampling_params(
            **options, penalty_last_n=self.last_n_tokens_size, seed=resolve_seed(seed, self.seed), logit_bias=None,
            grammar=grammar, n_vocab=self._model.n_vocab, grammar_engine=self.grammar_engine,
        )

    def _scores_row(self, idx: int | None) -> np.ndarray:
        """The logits row of evaluated position ``idx`` (None: the last one) that :meth:`eval` kept."""
        last = len(self.input_ids) - 1
        position = last if idx is None else int(idx)
        if not self._scores:
            raise ValueError("no logits kept for the evaluated tokens: call eval(tokens) before sample()")
        if position == last:
            return self._scores[-1]
        if not self.logits_all:
            raise ValueError(
                f"sample(idx={idx}): only the last evaluated position ({last}) has logits; "
                "load the model with logits_all=True to sample from others"
            )
        if not 0 <= position < len(self._scores):
            raise ValueError(f"sample(idx={idx}): evaluated positions are 0..{last}")
        return self._scores[position]

    def generate(
        self,
        tokens: Sequence[int],
        top_k: int = 40,
        top_p: float = 0.95,
        min_p: float = 0.05,
        typical_p: float = 1.0,
        temp: float = 0.80,
        repeat_penalty: float = 1.0,
        reset: bool = True,
        frequency_penalty: float = 0.0,
        presence_penalty: float = 0.0,
        tfs_z: float = 1.0,
        mirostat_mode: int = 0,
        mirostat_tau: float = 5.0,
        mirostat_eta: float = 0.1,
        penalize_nl: bool = True,
        logits_processor: Callable[..., Any] | None = None,
        stopping_criteria: Callable[..., Any] | None = None,
        grammar: None | str | LlamaGrammar = None,
        seed: int | None = None,
        max_tokens: int | None = None,
    ) -> Iterator[int]:
        """Token ids sampled after ``tokens``, one at a time, as llama-cpp-python's ``generate``.

        ``reset=False`` appends ``tokens`` to what :meth:`eval` evaluated.
        The end-of-generation token is yielded last, then the iterator ends
        (so does a ``stopping_criteria`` that returns True).  Stop iterating
        at any time: the generation ends there.

        Example::

            >>> from llama_native import Llama
            >>> from llama_native.testing import synthetic_model_path
            >>> llm = Llama(str(synthetic_model_path()), n_ctx=64)
            >>> ids = []
            >>> for token in llm.generate(llm.tokenize(b"hello"), temp=0):
            ...     ids.append(token)
            ...     if len(ids) == 3:
            ...         break
            >>> len(ids)
            3
        """
        if not penalize_nl:
            raise NotImplementedError("penalize_nl=False: llama.cpp's penalties no longer exempt the newline token")
        prompt = ([] if reset else list(self.input_ids)) + [int(t) for t in tokens]
        prompt_tokens = self._prompt_tokens(prompt)
        sampling = self._low_level_sampling(
            dict(temperature=temp, top_k=top_k, top_p=top_p, min_p=min_p, typical_p=typical_p,
                 repeat_penalty=repeat_penalty, presence_penalty=presence_penalty,
                 frequency_penalty=frequency_penalty, mirostat_mode=mirostat_mode, mirostat_tau=mirostat_tau,
                 mirostat_eta=mirostat_eta, tfs_z=tfs_z),
            seed=seed, grammar=grammar,
        )  # fmt: skip
        gen = generation_params(max_tokens, None)
        generated: list[int] = []
        ended: list[int] = []  # the end-of-generation token, when one ended it
        loop = run_token_loop(
            self._context(), self._generations, None, prompt_tokens, sampling, gen, None, None, False,
            lambda counters: None, logits_processor, stopping_criteria, on_end=ended.append,
        )  # fmt: skip
        self._scores = []
        try:
            for chunk in loop:
                for token in chunk.tokens:
                    # as in llama-cpp-python, input_ids holds what the context evaluated: the prompt and
                    # the tokens before this one (the loop decodes this one when asked for the next)
                    self.input_ids = prompt_tokens + generated
                    generated.append(token)
                    yield token
            self.input_ids = prompt_tokens + generated
            if ended and ended[0] >= 0:
                yield ended[0]
        finally:
            loop.close()

    def set_seed(self, seed: int) -> None:
        """The default seed of later calls (-1 or ``LLAMA_DEFAULT_SEED``: random each call)."""
        resolve_seed(seed, 0)  # validates
        self.seed = seed

    def pooling_type(self) -> int:
        """The context's pooling type (``LLAMA_POOLING_TYPE_*``)."""
        return self._context().pooling_type

    def tokenizer(self) -> Any:
        """A ``llama_tokenizer.LlamaTokenizer`` over this model (or the ``tokenizer`` given at load)."""
        from .llama_tokenizer import LlamaTokenizer

        return self._tokenizer_override or LlamaTokenizer(self)

    @staticmethod
    def logits_to_logprobs(logits: np.ndarray | Sequence[float], axis: int = -1) -> np.ndarray:
        """Log-softmax of ``logits`` along ``axis`` (float32)."""
        return log_softmax(logits, axis)

    @staticmethod
    def longest_token_prefix(a: Sequence[int], b: Sequence[int]) -> int:
        """Length of the longest common prefix of two token sequences."""
        return common_prefix(a, b)

    # ------------------------------------------------------------ lifecycle
    def reset(self) -> None:
        """Forget the KV cache (the next prompt is decoded from scratch)."""
        self._context().clear_cache()
        self.input_ids = []
        self._scores = []

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
