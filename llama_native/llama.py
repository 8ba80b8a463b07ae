"""``Llama``: a loaded GGUF model with an OpenAI-shaped completion API.

The names and parameters follow llama-cpp-python's ``llama_cpp.Llama`` so
code ports by changing the import.  All inference runs in the compiled
extension with the GIL released; Python only receives finished text pieces.

``Llama`` delegates: its constructor to ``runtime.loading``, the
completion and chat methods (with their signatures and documentation) to the
``request.api`` mixin, which turns each call into a typed request for
:meth:`Llama.run`; a completion to ``runtime.completion``, chat to
``runtime.chat``, embeddings to ``runtime.embedding``, ``eval``/``sample``/
``generate`` to the ``runtime.low_level`` mixin.  What is left here is the
constructor's llama-cpp-python signature with its documentation, the model's
facts, the tokenizer, state and lifecycle.  That is about 700 lines, over the
project's 500, because the constructor's 53 parameters and their documented
meanings (llama-cpp-python's and the few of our own, which a user reads here)
take about 160 of them.

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
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import _logging, _native
from .cache import BaseLlamaCache, LlamaState
from .chat.formats import ChatFormatter
from .chat.vision_handlers import MultimodalChatHandler
from .constants import (
    LLAMA_ATTENTION_TYPE_UNSPECIFIED,
    LLAMA_POOLING_TYPE_UNSPECIFIED,
    LLAMA_ROPE_SCALING_TYPE_UNSPECIFIED,
    LLAMA_SPLIT_MODE_LAYER,
)
from .images import load_image, prompt_size, tokenize_with_images
from .request import ChatRequest, CompletionRequest
from .request.api import CompletionAPI
from .request.sampling import DEFAULT_SEED
from .runtime import chat as _chat_api
from .runtime import embedding as _embedding_api
from .runtime import rerank as _rerank_api
from .runtime.completion import infill_prompt, run_completion
from .runtime.loading import (
    FLASH_ATTN_DEFAULT,
    ContextOverflowError,
    FlashAttnDefault,
    LoadedModel,
    ModelLoadError,
    load_into,
)
from .runtime.lora import LoraSpec, normalize_loras
from .runtime.low_level import LowLevelAPI
from .runtime.rerank import RerankResult
from .runtime.threads import ActiveGenerations, run_in_own_thread
from .runtime.token_ids import TokenIds
from .speculative import PromptLookupDecoding

LLAMA_DEFAULT_SEED = DEFAULT_SEED
__all__ = ["LLAMA_DEFAULT_SEED", "ContextOverflowError", "Llama", "ModelLoadError"]


class Llama(CompletionAPI, LowLevelAPI, LoadedModel):
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
        flash_attn: False computes attention without flash attention (the default with one
            sequence, llama-cpp-python's); True forces it; None is llama.cpp's auto, as its own tools
            (``llama-server -fa auto``, ``llama-native serve``) do: on where the backend supports
            it, and the default with ``n_parallel > 1`` (then a reply does not depend on what else
            shares its batch).
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
            tokens in one batch, False one decode call each (more calls).  None (default): True
            where flash attention may run (``flash_attn`` None or True), False where it is off:
            without it ggml's CPU attention rounds by batch, so a batch of forced tokens could
            change a later greedy pick; with it both give the same output.
        n_parallel: sequences decoded together (default 1).  Above 1, concurrent calls from
            threads or asyncio tasks share the context by continuous batching: one decode per
            step for all active requests, each with its own sampler and grammar, new requests
            joining between steps; each sequence gets its own ``n_ctx`` tokens of KV cache.
        json_whitespace: what grammars built from JSON schemas (``json_schema=``,
            ``response_format``, tool arguments) allow between JSON tokens: ``"lcp"``
            (default: llama-cpp-python's, one optional space, also before a key's
            ``":"``, required keys before optional ones unless ``prop_order`` says; JSON mode
            without a schema gets its ``JSON_GBNF``; tool arguments
            keep ``"free"``), ``"free"`` (nothing, a space, or newlines with a bounded
            indent, as the model likes: more accurate on small models, see README
            "JSON whitespace"; what the server and the integrations use),
            ``"llama-server"`` (llama.cpp's converter's), ``"compact"`` (none) or
            ``"pretty"``.  Each call may override it.
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
        flash_attn: bool | None | FlashAttnDefault = FLASH_ATTN_DEFAULT,
        last_n_tokens_size: int = 64,
        verbose: bool = False,
        progress_callback: Callable[[float], bool] | None = None,
        chat_format: str | None = None,
        draft_model: PromptLookupDecoding | None = None,
        grammar_engine: str | None = None,
        jump_forward: bool | None = None,
        n_parallel: int = 1,
        json_whitespace: str = "lcp",
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
        self._chat_formatter: ChatFormatter | None = None
        self._chat_formatter_key: tuple[str | None, str | None] = (None, None)
        self._projector: _native.Projector | None = None
        load_into(self, {k: v for k, v in locals().items() if k not in ("self", "__class__")})
        #: tokens evaluated by :meth:`eval` (llama-cpp-python's low-level state)
        self.input_ids: list[int] = TokenIds()
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

    @property
    def image_cache(self) -> _native.Projector:
        """The projector, with its cache of encoded images (``ValueError`` without ``mmproj_path``).

        A picture seen before (the same pixels: in another request, moved
        within the prompt, or in another format) is not encoded again; its
        embeddings are kept, keyed by the pixels' hash, within
        ``image_cache_bytes`` (256 MiB by default; 0 turns the cache off).
        ``images_encoded`` and ``image_cache_hits`` count what happened.

        Example::

            >>> from llama_native import Llama
            >>> from llama_native.testing import synthetic_model_path, synthetic_projector_path
            >>> llm = Llama(str(synthetic_model_path()), mmproj_path=str(synthetic_projector_path()), n_ctx=256)
            >>> llm.image_cache.image_cache_bytes = 64 << 20
            >>> llm.image_cache.images_encoded, llm.image_cache.image_cache_hits
            (0, 0)
        """
        if self._projector is None:
            raise ValueError("this model has no projector (load it with mmproj_path=...), so it keeps no images")
        return self._projector

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

    # ------------------------------------------------------------- requests
    def run(self, request: CompletionRequest | ChatRequest) -> Any:
        """Carry out a request made with :mod:`llama_native.request` (what the ``create_*`` methods build).

        Example::

            >>> from llama_native import Llama
            >>> from llama_native.request import ChatRequest
            >>> from llama_native.testing import synthetic_model_path
            >>> llm = Llama(str(synthetic_model_path()), n_ctx=128)
            >>> request = ChatRequest.from_arguments({"messages": [{"role": "user", "content": "hi"}], "max_tokens": 2})
            >>> llm.run(request)["object"]
            'chat.completion'
        """
        if isinstance(request, ChatRequest):
            custom = self._custom_chat({k: v for k, v in request.arguments.items() if k != "stream"}
                                       | {"messages": request.messages, "stream": request.stream}, {})  # fmt: skip
            if custom is not NotImplemented:
                return custom
            return _chat_api.create_chat_completion(
                self.run, self.chat_formatter, self._model, self.json_whitespace, request, self._projector
            )
        if not isinstance(request, CompletionRequest):
            raise TypeError(f"run() takes a ChatRequest or CompletionRequest, not {type(request).__name__}")
        return run_completion(self, request)

    def _infill_prompt(self, prompt: str | bytes | Sequence[int], suffix: str) -> list[int]:
        """The fill-in-the-middle prompt of ``prompt`` and ``suffix`` (see ``runtime.completion.infill_prompt``)."""
        return infill_prompt(self, prompt, suffix)

    def _cancel_thread(self, thread_id: int | None) -> None:
        self._generations.cancel_thread(thread_id)

    def _custom_chat(self, args: dict[str, Any], extra: dict[str, Any]) -> Any:
        if self.chat_handler is None or isinstance(self.chat_handler, MultimodalChatHandler):
            return NotImplemented
        request = {k: v for k, v in args.items() if k != "messages"}  # llama-cpp-python's handler protocol
        return self.chat_handler(llama=self, messages=args["messages"], **request, **extra)

    # ------------------------------------------------------------ embeddings
    def embed(
        self, input: str | Sequence[str | Sequence[int]], normalize: bool | int = False, truncate: bool = True,
        return_count: bool = False, *, per_token: bool | None = None,
    ) -> Any:
        """Embedding of a string (a list of floats), or of each string in a list, as llama-cpp-python's ``embed``.

        The pooling is the model's own (mean, CLS, last, ... from its GGUF;
        :meth:`pooling_type`), or ``Llama(pooling_type=...)``'s.  A model
        without pooling (a chat model; pooling_type NONE) gives one vector
        per token of each input, a list of lists, as llama-cpp-python does
        (``per_token=False``: one vector per input, its last token's); it
        warns (``PoolingWarning``) unless ``Llama(pooling_type=...)`` chose.
        ``normalize``: ``True`` scales each vector to unit length, an int is
        llama-server's ``embd_normalize`` (-1 none, 0 max-abs int16, 1
        taxicab, 2 euclidean, >2 p-norm). Inputs longer than the batch are
        cut when ``truncate`` (llama-cpp-python's default; with ``truncate=False``
        a ``ValueError`` names both lengths). An item of a list may also be a
        list of token ids. ``return_count=True`` also returns the number of
        tokens embedded. Needs ``Llama(..., embedding=True)``.

        Example::

            >>> from llama_native import Llama
            >>> from llama_native.constants import LLAMA_POOLING_TYPE_NONE
            >>> from llama_native.testing import synthetic_model_path
            >>> llm = Llama(str(synthetic_model_path()), n_ctx=64, embedding=True, pooling_type=LLAMA_POOLING_TYPE_NONE)
            >>> rows = llm.embed("hello world")  # no pooling: one vector per token
            >>> len(rows) == len(llm.tokenize(b"hello world")), len(rows[0]) == llm.n_embd()
            (True, True)
            >>> len(llm.embed("hello world", per_token=False)) == llm.n_embd()  # one vector: the last token's
            True
        """
        if not self.context_params.get("embedding"):
            raise ValueError("this model was loaded without embedding=True; load it with Llama(..., embedding=True)")
        rows = _embedding_api.per_token_default(self._context(), per_token)
        _embedding_api.check_pooling(self._context(), self.context_params["pooling_type"], self.model_path, rows)
        result, count = _embedding_api.embed(
            self._model, self._context(), self.context_params["n_batch"], input, normalize, truncate, rows
        )
        return (result, count) if return_count else result

    def create_embedding(
        self, input: str | Sequence[int] | Sequence[str | Sequence[int]], model: str | None = None,
        truncate: bool = False, *, per_token: bool | None = None,
    ) -> dict[str, Any]:
        """OpenAI-shaped embeddings: ``{"object": "list", "data": [{"embedding", "index"}], "usage"}``.

        ``input``: a string, a list of strings, a list of token ids or a list of
        those (OpenAI's shapes).  An input longer than the context raises
        ``ValueError`` naming both lengths, unless ``truncate=True`` cuts it.
        A model without pooling gives each input a list of per-token vectors,
        as llama-cpp-python does, unless ``per_token=False`` (see :meth:`embed`).
        """
        items: list[Any] = [input] if isinstance(input, str) else list(input)
        if items and all(isinstance(t, int) and not isinstance(t, bool) for t in items):
            items = [items]  # one input given as its token ids
        vectors, count = self.embed(items, truncate=truncate, return_count=True, per_token=per_token)
        return _embedding_api.embedding_response(vectors, count, model or self.model_path)

    async def aembed(
        self, input: str | Sequence[str | Sequence[int]], normalize: bool | int = False, truncate: bool = True,
        *, per_token: bool | None = None,
    ) -> Any:
        """Awaitable :meth:`embed` (runs on a thread of its own; the event loop keeps running)."""
        return await run_in_own_thread(
            lambda: self.embed(input, normalize, truncate, per_token=per_token), self._generations.cancel_thread
        )

    def rerank(
        self, query: str, documents: Sequence[str], top_n: int | None = None, return_documents: bool = True
    ) -> list[RerankResult]:
        """Documents scored against ``query`` by a reranker, best first, as llama-server's ``/v1/rerank`` scores them.

        Each result is ``{"index", "relevance_score", "document": {"text"}}``
        (``document`` only with ``return_documents``); ``top_n`` keeps the
        best. Needs a ``LLAMA_POOLING_TYPE_RANK`` model loaded with
        ``embedding=True``; see ``runtime/rerank.py`` for an example.
        """
        return self.create_rerank(query, documents, top_n, return_documents)["results"]

    def create_rerank(
        self, query: str, documents: Sequence[str], top_n: int | None = None, return_documents: bool = False,
        model: str | None = None,
    ) -> dict[str, Any]:
        """llama-server's ``/v1/rerank`` response: ``{"model", "object": "list", "usage", "results"}``."""
        ctx = self._context() if self.context_params.get("embedding") else None
        return _rerank_api.rerank(self._model, ctx, self.context_params["n_batch"], self.model_path, query,
                                  documents, top_n, return_documents, model)

    async def arerank(
        self, query: str, documents: Sequence[str], top_n: int | None = None, return_documents: bool = True
    ) -> list[RerankResult]:
        """Awaitable :meth:`rerank` (runs on a thread of its own; the event loop keeps running)."""
        return await run_in_own_thread(lambda: self.rerank(query, documents, top_n, return_documents),
                                       self._generations.cancel_thread)

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
        scores = self._scores[-1].copy() if self._scores else None  # (under logits_all a row of scores' table)
        return LlamaState(tuple(tokens), data, seed=self.seed, scores=scores)

    def load_state(self, state: LlamaState) -> None:
        """Restore a :meth:`save_state` state (``ValueError`` if it does not fit this model and context)."""
        if not isinstance(state, LlamaState):
            raise TypeError(f"state must be a LlamaState, not {type(state).__name__}")
        if self.context_params["n_parallel"] > 1:
            raise ValueError("load_state needs n_parallel=1 (a parallel context holds several sequences)")
        self._context().load_state(state.data, list(state.tokens))
        self.input_ids = TokenIds(state.tokens)
        self._scores = [state.scores] if state.scores is not None else []
        if self.logits_all and state.scores is not None and state.tokens:
            self.scores[len(state.tokens) - 1] = state.scores  # the last position's row, in scores' table

    @property
    def buffer_types(self) -> dict[str, int]:
        """Bytes of the model's weights in each ggml buffer type (``{"CPU": ..., "CPU_REPACK": ...}``).

        ``CPU_REPACK`` holds weights ggml repacked for its faster AVX2/AVX-512 kernels
        (see ``use_extra_bufts``); ``AMX`` appears only in a ``-DLLAMA_NATIVE_AMX=ON`` build.
        """
        return dict(self._model.buffer_types())

    # ------------------------------------------------------------ lifecycle
    def reset(self) -> None:
        """Forget the KV cache (the next prompt is decoded from scratch)."""
        self._context().clear_cache()
        self.input_ids = TokenIds()
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
