"""The fields every LangChain class here shares (loading, sampling), and lazy, shared loading.

The field names and meanings are langchain-community's (``model_path``,
``n_ctx``, ``n_gpu_layers``, ...), so existing code keeps working.  Nothing is
loaded in the constructor: the model loads on first use, once per file and
set of load parameters (:func:`llama_native.model_pool.shared_llama`), however
many LangChain objects point at it.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any, Literal, cast

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from llama_native import Llama, LlamaGrammar
from llama_native.default_model import MODEL_PATH_ENV, resolve_model_path
from llama_native.model_pool import shared_llama, shared_remote

LOAD_CONFIG = ConfigDict(protected_namespaces=(), populate_by_name=True, extra="forbid", arbitrary_types_allowed=True)


#: fields that configure an in-process model: refused with base_url when set explicitly
_LOCAL_ONLY = {
    "n_ctx",
    "n_batch",
    "n_parallel",
    "n_threads",
    "n_gpu_layers",
    "use_mlock",
    "use_mmap",
    "vocab_only",
    "last_n_tokens_size",
    "lora_path",
    "mmproj_path",
    "rope_freq_base",
    "rope_freq_scale",
    "f16_kv",
    "logits_all",
}


class LlamaCppLoadParams(BaseModel):
    """Where the GGUF is and how to load it (shared by the chat, LLM and embedding classes)."""

    model_config = LOAD_CONFIG

    model_path: str | None = Field(default=None, alias="model")
    """Path to the ``.gguf`` file (also ``model=``); default: ``$LLAMA_NATIVE_MODEL_PATH``."""
    n_ctx: int = Field(default=4096, gt=0)
    """Context window in tokens."""
    n_batch: int | None = 512
    """Prompt tokens decoded per batch."""
    n_parallel: int = Field(default=1, gt=0)
    """Sequences decoded together: above 1, concurrent calls (``batch``, ``abatch``, threads,
    asyncio tasks) share the model by continuous batching, each with ``n_ctx`` tokens of KV cache."""
    n_threads: int | None = None
    """CPU threads (default: the machine's cores, at most 8)."""
    n_gpu_layers: int | None = None
    """Layers to offload to a GPU build (-1: all)."""
    use_mlock: bool = False
    use_mmap: bool | None = True
    vocab_only: bool = False
    last_n_tokens_size: int | None = 64
    """Window of the repeat penalty."""
    verbose: bool = False
    """Forward llama.cpp's log to ``logging`` and show load progress."""
    model_kwargs: dict[str, Any] = Field(default_factory=dict)
    """Further :class:`llama_native.Llama` arguments (``chat_format``, ``flash_attn``, ``n_ubatch``, ...)."""
    lora_path: str | None = None
    """A LoRA adapter GGUF applied to the model (``model_kwargs={"lora_path": [...]}`` for several)."""
    lora_base: str | None = None
    """Refused: llama.cpp applies an adapter to the loaded model itself."""
    mmproj_path: str | None = None
    """The model's image projector GGUF: messages may then hold image content blocks."""
    rope_freq_base: float | None = None
    """RoPE base frequency (None: the model's)."""
    rope_freq_scale: float | None = None
    """RoPE frequency scaling factor (None: the model's)."""
    n_parts: int | None = None
    """Obsolete in llama.cpp (a GGUF is one model): only None or -1 is accepted."""
    f16_kv: bool | None = None
    """KV cache in f16 (llama.cpp's default); False keeps it in f32."""
    logits_all: bool | None = None
    """Keep every evaluated position's logits (``Llama.scores`` after ``eval``)."""

    base_url: str | list[str] | None = None
    """Run the model on servers instead of in process: a llama.cpp ``llama-server`` (our grammars and tool
    syntax, as in process), several (a list: health checks, least-busy routing with prefix affinity,
    retries and failover), or any OpenAI-compatible server (vLLM, SGLang, Ollama, ``llama-native serve``;
    outputs validated).  ``model`` then names the served model, if the server needs one."""
    api_key: str | None = None
    """Sent as ``Authorization: Bearer ...`` to ``base_url`` (default: ``$LLAMA_NATIVE_API_KEY``)."""
    api: Literal["auto", "llama.cpp", "openai"] = "auto"
    """What ``base_url`` speaks; ``"auto"`` asks the first server reached."""
    timeout: float | None = Field(default=None, gt=0, alias="request_timeout")
    """Seconds a request to ``base_url`` may wait for an answer (also ``request_timeout``; default 600).
    A local call is bounded by ``max_tokens``."""
    max_retries: int | None = Field(default=None, ge=0)
    """Further attempts on other servers after a connection failure or a 503 (default 3).  A local call
    has no transient failures to retry."""
    routing: Literal["affinity", "least_busy", "round_robin"] = "affinity"
    """How a request picks one of several servers."""

    _client: Any = PrivateAttr(default=None)

    @model_validator(mode="before")
    @classmethod
    def _model_path_from_env(cls, values: Any) -> Any:
        if isinstance(values, dict) and values.get("base_url"):
            return values  # model / model_path name the served model
        if isinstance(values, dict):  # model_path, or its alias model, or $LLAMA_NATIVE_MODEL_PATH; a str
            key = "model" if values.get("model_path") is None and values.get("model") is not None else "model_path"
            values = {**values, key: resolve_model_path(values.get(key))}
        return values

    @model_validator(mode="after")
    def _check_load_params(self) -> LlamaCppLoadParams:
        if self.base_url:
            local = sorted(set(self.model_fields_set) & _LOCAL_ONLY)
            if local:
                raise ValueError(
                    f"{', '.join(local)} configure a model loaded in process; with base_url the servers' own "
                    "settings hold (set them where the servers start)"
                )
            extra = sorted(set(self.model_kwargs) - {"chat_format", "json_whitespace"})
            if extra:
                raise ValueError(f"model_kwargs {extra} configure a model loaded in process; not with base_url")
        if self.lora_base:
            raise ValueError(
                "lora_base is not supported: llama.cpp applies a LoRA adapter to the loaded model itself "
                "(load the f16 base model as model_path)"
            )
        if self.n_parts not in (None, -1):
            raise ValueError(f"n_parts={self.n_parts}: obsolete in llama.cpp (a GGUF holds the whole model)")
        return self

    # ------------------------------------------------------------------ loading
    def _load_kwargs(self) -> dict[str, Any]:
        """:class:`Llama` keyword arguments for this object's fields (unset ones take Llama's defaults)."""
        fields = {
            "n_ctx": self.n_ctx,
            "n_batch": self.n_batch,
            "n_threads": self.n_threads,
            "n_parallel": self.n_parallel,
            "n_gpu_layers": self.n_gpu_layers,
            "use_mmap": self.use_mmap,
            "use_mlock": self.use_mlock,
            "vocab_only": self.vocab_only,
            "last_n_tokens_size": self.last_n_tokens_size,
            "verbose": self.verbose,
            "lora_path": self.lora_path,
            "mmproj_path": self.mmproj_path,
            "rope_freq_base": self.rope_freq_base,
            "rope_freq_scale": self.rope_freq_scale,
            "logits_all": self.logits_all,
        }
        if self.f16_kv is False:
            fields["type_k"] = fields["type_v"] = "f32"
        # flash_attn None (llama.cpp's auto, as llama-server) unless model_kwargs says otherwise: Llama's own
        # default is llama-cpp-python's off, whose CPU attention rounds differently by batch, so replies on
        # n_parallel would depend on what else shares the batch.
        # json_whitespace "free" (the model chooses, bounded) unless model_kwargs says otherwise: Llama's own
        # default is llama-cpp-python's one optional space, which gets fewer extractions right (README
        # "JSON whitespace").
        return {
            "flash_attn": None, "json_whitespace": "free",
            **{k: v for k, v in fields.items() if v is not None}, **self.model_kwargs,
        }  # fmt: skip

    def _remote(self, model: str | os.PathLike | None = None) -> Any:
        """The fleet's :class:`llama_native.remote.RemoteLlama` (shared by everything pointing at it)."""
        assert self.base_url is not None
        params: dict[str, Any] = {
            "api": self.api,
            "model": os.fspath(model) if model is not None else self.model_path,
            "api_key": self.api_key,
            "routing": self.routing,
            **self.model_kwargs,  # chat_format, json_whitespace
        }
        for name in ("timeout", "max_retries"):  # None: RemoteLlama's defaults
            if getattr(self, name) is not None:
                params[name] = getattr(self, name)
        return shared_remote(self.base_url, **params)

    def _llama(self, model: str | os.PathLike | None = None) -> Llama:
        """The loaded model (loading it on first use); ``model`` names another GGUF for one call.

        With ``base_url``, the fleet's remote client (it has the same methods).
        """
        if self.base_url:
            if model is None and self._client is not None:
                return self._client
            remote = self._remote(model)
            if model is None:
                self._client = remote
            return remote
        if model is not None and os.fspath(model) != self.model_path:
            return shared_llama(cast(str, resolve_model_path(model)), **self._load_kwargs())  # a str: model is set
        if self._client is None:
            if self.model_path is None:
                raise ValueError(f"no model: pass model_path=... or set ${MODEL_PATH_ENV} to a .gguf file")
            self._client = shared_llama(self.model_path, **self._load_kwargs())
        return self._client

    async def _aload(self, model: str | os.PathLike | None = None) -> Llama:
        """:meth:`_llama` for async callers: a first load (seconds) runs off the event loop."""
        if model is None and self._client is not None:
            return self._client
        return await asyncio.to_thread(self._llama, model)

    @property
    def client(self) -> Llama:
        """The underlying :class:`llama_native.Llama` (loaded on first access)."""
        return self._llama()

    def get_num_tokens(self, text: str) -> int:
        """Tokens in ``text`` by the model's own tokenizer."""
        return len(self.client.tokenize(text.encode("utf-8"), add_bos=False))

    @property
    def model_name(self) -> str:
        """The model as reported in ``response_metadata`` and traces: its path (or served name) as given."""
        if self.base_url and not self.model_path:
            return self.base_url if isinstance(self.base_url, str) else ",".join(self.base_url)
        return self.model_path or "llama-native"


class LlamaCppSamplingParams(BaseModel):
    """How to sample (shared by the chat and LLM classes); every one can also be passed per call."""

    model_config = LOAD_CONFIG

    seed: int = -1
    """Sampling seed for every call (a per-call ``seed=`` wins); -1 draws a new one for each call.
    Not a load parameter: instances that differ only in seed share the model."""
    max_tokens: int | None = 256
    """Most tokens to generate (None: until the model stops or the context is full)."""
    temperature: float = 0.8
    top_p: float = 0.95
    top_k: int = 40
    min_p: float = 0.05
    repeat_penalty: float = 1.0
    """1.0 (off) by default: a penalty on repeated tokens fights JSON's repeated quotes and braces."""
    frequency_penalty: float = 0.0
    presence_penalty: float = 0.0
    stop: list[str] | None = None
    """Stop strings (never part of the output; the model's end-of-turn tokens always stop)."""
    grammar: str | LlamaGrammar | None = None
    """A GBNF grammar (text or :class:`llama_native.LlamaGrammar`) that every output follows."""
    grammar_path: str | Path | None = None
    """A ``.gbnf`` file instead of ``grammar``."""
    json_whitespace: Literal["free", "compact", "pretty", "lcp", "llama-server"] | None = None
    """What structured output and tool arguments allow between JSON tokens: ``"free"`` (the
    default: nothing, a space, or newlines with a bounded indent, as the model likes),
    ``"compact"`` (none) or ``"pretty"``.  Not a load parameter: instances share the model."""
    streaming: bool = False
    """Generate through the streaming path in ``invoke`` (callbacks get each token)."""
    logprobs: int | None = None
    """Report log-probabilities with this many top tokens per position (``generation_info["logprobs"]``
    for text, ``response_metadata["logprobs"]`` for chat, as langchain-openai)."""
    suffix: str | None = None
    """(Text completion) fill-in-the-middle: the text after the gap (models with FIM tokens)."""
    echo: bool = False
    """(Text completion) prefix the output with the prompt."""

    _grammar: LlamaGrammar | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _check_sampling_params(self) -> LlamaCppSamplingParams:
        if self.logprobs is not None and self.logprobs < 0:
            raise ValueError(f"logprobs must be >= 0 (top tokens per position), got {self.logprobs}")
        if self.grammar is not None and self.grammar_path is not None:
            raise ValueError(f"pass at most one of grammar and grammar_path, got both ({self.grammar_path!r})")
        if self.grammar_path is not None:
            self._grammar = LlamaGrammar.from_file(os.fspath(self.grammar_path))
        elif isinstance(self.grammar, str):
            self._grammar = LlamaGrammar.from_string(self.grammar)
        else:
            self._grammar = self.grammar
        return self

    @property
    def _default_params(self) -> dict[str, Any]:
        return {
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
            "top_p": self.top_p,
            "top_k": self.top_k,
            "min_p": self.min_p,
            "repeat_penalty": self.repeat_penalty,
            "frequency_penalty": self.frequency_penalty,
            "presence_penalty": self.presence_penalty,
        }

    def _call_params(self, stop: list[str] | None, kwargs: dict[str, Any]) -> dict[str, Any]:
        """Keyword arguments for one call: the fields, then what the call (or ``bind``) says."""
        params: dict[str, Any] = dict(self._default_params)
        if self.seed != -1:
            params["seed"] = self.seed
        stops = stop if stop is not None else self.stop
        if stops:
            params["stop"] = list(stops)
        if self._grammar is not None:
            params["grammar"] = self._grammar
        if self.json_whitespace is not None:
            params["json_whitespace"] = self.json_whitespace
        params.update({k: v for k, v in kwargs.items() if k not in TRACING_ONLY})
        return params


#: bind()/invoke() keys that only LangChain's tracing reads
TRACING_ONLY = ("ls_structured_output_format", "structured_output_format")
