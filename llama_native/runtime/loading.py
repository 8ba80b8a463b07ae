"""Loading a model and creating its context: file checks, parameter checks, the native parameter structs.

``Llama.__init__`` hands its arguments (its ``locals()``) to :func:`load_into`;
each check raises a clear exception naming the problem before anything native
is touched.  The checks read the arguments by name, so a load parameter is
listed once: in ``Llama``'s signature.

Example::

    >>> from llama_native import Llama
    >>> from llama_native.testing import synthetic_model_path
    >>> llm = Llama(str(synthetic_model_path()), n_ctx=256, n_parallel=4)
    >>> llm.context_params["n_batch"], llm.context_params["n_parallel"]
    (256, 4)
"""

from __future__ import annotations

import inspect
import math
import os
from collections.abc import Callable, Mapping
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from .. import _logging, _native
from .._types import GrammarEngine
from ..constants import (
    GGML_TYPE_F16,
    LLAMA_POOLING_TYPE_RANK,
    LLAMA_ROPE_SCALING_TYPE_MAX_VALUE,
    LLAMA_SPLIT_MODE_LAYER,
    LLAMA_SPLIT_MODE_NONE,
    LLAMA_SPLIT_MODE_ROW,
    LLAMA_SPLIT_MODE_TENSOR,
    ggml_type_from_name,
)
from ..request.sampling import finite
from .lora import LoraAdapters, normalize_loras
from .rpc import parse_rpc_servers, probe_rpc_server

if TYPE_CHECKING:
    from ..chat.formats import ChatFormatter
    from ..speculative import PromptLookupDecoding
    from .lora import LoraSpec


class ModelLoadError(ValueError):
    """The model file could not be loaded (missing, not GGUF, truncated, corrupt)."""


class ContextOverflowError(ValueError):
    """The prompt is longer than the context window (``n_ctx``); a ``ValueError``, as in llama-cpp-python.

    ``prompt_tokens`` and ``n_ctx`` say by how much.  The LangChain integration
    raises it as langchain-core's ``ContextOverflowError`` too, so middleware
    that shortens the conversation can recover.
    """

    def __init__(self, prompt_tokens: int, n_ctx: int, image_tokens: int = 0, n_images: int = 0) -> None:
        images = (
            f" ({image_tokens} of them for {n_images} image{'s' if n_images != 1 else ''}: "
            "send fewer or smaller images, or raise n_ctx)"
            if n_images
            else ""
        )
        super().__init__(
            f"prompt is {prompt_tokens} tokens long{images}, longer than the context window of {n_ctx} tokens "
            f"(n_ctx); shorten the prompt or load the model with a larger n_ctx"
        )
        self.prompt_tokens = prompt_tokens
        self.n_ctx = n_ctx
        self.image_tokens = image_tokens


class Settings(dict):
    """A parameter set readable both ways: ``settings.n_ctx`` and ``settings["n_ctx"]``."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def refuse_unsupported(*, lora_base: str | None, extra: dict[str, Any]) -> None:
    """``TypeError`` for an unknown keyword, ``ValueError``/``NotImplementedError`` naming a refused one."""
    if extra:
        raise TypeError(f"Llama() got unexpected keyword arguments: {', '.join(sorted(extra))}")
    if lora_base is not None:
        raise ValueError(
            "lora_base is not supported: llama.cpp applies a LoRA adapter to the loaded model itself "
            "(load the f16 base model as model_path to apply the adapter to it)"
        )


def numa_strategy(numa: bool | int) -> int:
    """llama-cpp-python's ``numa`` as a ``GGML_NUMA_STRATEGY_*`` (True: distribute, False: off)."""
    if isinstance(numa, bool):
        return 1 if numa else 0
    if not isinstance(numa, int) or not 0 <= numa <= 4:
        raise ValueError(f"numa must be a bool or a GGML_NUMA_STRATEGY_* value (0-4), got {numa!r}")
    return numa


def default_threads() -> int:
    """CPU threads for decoding: every core up to 4, half of them above."""
    count = os.cpu_count() or 1
    return count if count <= 4 else count // 2


def check_model_file(path: str) -> None:
    """Raise :class:`ModelLoadError` unless ``path`` is a readable file starting with the GGUF magic."""
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


def check_arguments(
    *,
    n_ctx: int,
    n_batch: int,
    n_ubatch: int,
    n_parallel: int,
    n_threads: int,
    n_threads_batch: int,
    n_gpu_layers: int,
    seed: int,
) -> None:
    """``ValueError`` naming an out-of-range argument (``n_ctx=0``: the model's trained context)."""
    if not isinstance(n_ctx, int) or isinstance(n_ctx, bool) or n_ctx < 0:
        raise ValueError(f"n_ctx must be a positive integer (or 0: the model's trained context), got {n_ctx!r}")
    for name, value in (("n_batch", n_batch), ("n_ubatch", n_ubatch), ("n_parallel", n_parallel)):
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    for name, value in (("n_threads", n_threads), ("n_threads_batch", n_threads_batch)):
        if not isinstance(value, int) or value <= 0:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if not isinstance(n_gpu_layers, int):
        raise ValueError(f"n_gpu_layers must be an integer, got {n_gpu_layers!r}")
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise ValueError(f"seed must be an integer, got {seed!r}")


def kv_override_list(overrides: dict[str, bool | int | float | str] | None) -> list[_native.KvOverride]:
    """llama-cpp-python's ``kv_overrides`` dict as native overrides (the value's type picks the GGUF type)."""
    if overrides is None:
        return []
    if not isinstance(overrides, dict):
        raise ValueError(f"kv_overrides must be a dict of GGUF metadata keys to values, got {type(overrides).__name__}")
    out = []
    for key, value in overrides.items():
        if not isinstance(key, str) or not key:
            raise ValueError(f"kv_overrides keys must be non-empty strings, got {key!r}")
        o = _native.KvOverride()
        o.key = key
        if isinstance(value, bool):
            o.kind, o.int_value = "b", int(value)
        elif isinstance(value, int):
            o.kind, o.int_value = "i", value
        elif isinstance(value, float):
            o.kind, o.float_value = "f", value
        elif isinstance(value, str):
            o.kind, o.str_value = "s", value
        else:
            raise ValueError(f"kv_overrides['{key}'] must be a bool, int, float or str, got {type(value).__name__}")
        out.append(o)
    return out


def model_params(o: Mapping[str, Any]) -> tuple[Settings, _native.ModelParams]:
    """``Llama.model_params`` and the native model-loading parameters.

    ``rpc_servers`` are checked here (each answers the RPC handshake, see
    :mod:`llama_native.runtime.rpc`), before llama.cpp is handed them.
    """
    v = SimpleNamespace(**o)  # the arguments by name
    modes = (LLAMA_SPLIT_MODE_NONE, LLAMA_SPLIT_MODE_LAYER, LLAMA_SPLIT_MODE_ROW, LLAMA_SPLIT_MODE_TENSOR)
    if v.split_mode not in modes:
        raise ValueError(
            f"split_mode must be one of LLAMA_SPLIT_MODE_NONE/LAYER/ROW/TENSOR (0-3), got {v.split_mode!r}"
        )
    if not isinstance(v.main_gpu, int) or v.main_gpu < 0:
        raise ValueError(f"main_gpu must be a device index >= 0, got {v.main_gpu!r}")
    split = [float(x) for x in v.tensor_split] if v.tensor_split is not None else []
    if any(not math.isfinite(x) or x < 0 for x in split):
        raise ValueError(f"tensor_split must hold non-negative proportions, got {list(v.tensor_split or [])!r}")
    params = _native.ModelParams()
    params.n_gpu_layers = v.n_gpu_layers
    params.split_mode = v.split_mode
    params.main_gpu = v.main_gpu
    params.tensor_split = split
    params.use_mmap = v.use_mmap
    params.use_mlock = v.use_mlock
    params.vocab_only = v.vocab_only
    params.kv_overrides = kv_override_list(v.kv_overrides)
    if not isinstance(v.use_extra_bufts, bool):
        raise ValueError(f"use_extra_bufts must be True or False, got {v.use_extra_bufts!r}")
    params.use_extra_bufts = v.use_extra_bufts
    endpoints: list[str] = []
    if v.rpc_servers:
        endpoints = parse_rpc_servers(v.rpc_servers)
        if not _native.rpc_supported():
            raise NotImplementedError("rpc_servers: this build has no ggml RPC backend (build it with -DGGML_RPC=ON)")
        if v.n_gpu_layers == 0:
            raise ValueError(
                "rpc_servers needs n_gpu_layers (-1: every layer; N: that many) to put layers on the servers"
            )
        for endpoint in endpoints:
            probe_rpc_server(endpoint)
    params.rpc_servers = endpoints
    settings = Settings(
        n_gpu_layers=v.n_gpu_layers,
        split_mode=v.split_mode,
        main_gpu=v.main_gpu,
        tensor_split=split or None,
        use_mmap=v.use_mmap,
        use_mlock=v.use_mlock,
        vocab_only=v.vocab_only,
        kv_overrides=dict(v.kv_overrides or {}),
        rpc_servers=",".join(endpoints) or None,
        use_extra_bufts=v.use_extra_bufts,
    )
    return settings, params


def _enum(name: str, value: int, allowed: range) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value not in allowed:
        raise ValueError(f"{name} must be an integer in {allowed.start}..{allowed.stop - 1}, got {value!r}")
    return value


class FlashAttnDefault:
    """``Llama(flash_attn=...)``'s default: False (llama-cpp-python's) for one sequence, None (auto) above.

    With ``n_parallel > 1`` requests share batches, and without flash attention
    ggml's CPU attention rounds by batch, so a reply could change with what
    else is decoded beside it; with flash attention each row is computed alone
    and concurrent replies equal one-by-one ones.  An explicit ``False`` stays.
    """

    def __repr__(self) -> str:
        return "False (None when n_parallel > 1)"

    def resolve(self, n_parallel: int) -> bool | None:
        """The value used: ``None`` (llama.cpp's auto) for several sequences, else ``False``."""
        return None if n_parallel > 1 else False


#: the default of ``Llama(flash_attn=...)``
FLASH_ATTN_DEFAULT = FlashAttnDefault()


def context_params(o: Mapping[str, Any]) -> tuple[Settings, _native.ContextParams]:
    """The context's settings as ``Llama.context_params`` reports them, and the native parameters.

    ``n_parallel`` sequences of ``n_ctx`` tokens each are decoded together
    by continuous batching (an embedding context has one);
    ``flash_attn=None`` is llama.cpp's auto.  The RoPE/YaRN values, the
    pooling and attention types and the KV-cache types go to llama.cpp as
    given; their defaults (0, -1, None) mean "from the model".
    """
    v = SimpleNamespace(**o)  # the arguments by name
    # An embedding batch must fit one ubatch: a non-causal model (BERT) aborts in llama.cpp
    # otherwise (GGML_ASSERT "non-causal attention requires n_ubatch >= n_tokens"); llama-server
    # sets n_batch = n_ubatch for embeddings likewise.
    batch_cap = min(v.n_ubatch, v.n_ctx) if v.embedding else v.n_ctx
    settings = Settings(
        n_ctx=v.n_ctx,
        n_batch=min(v.n_batch, batch_cap),
        n_ubatch=min(v.n_ubatch, v.n_batch, v.n_ctx),
        n_threads=v.n_threads,
        n_threads_batch=v.n_threads_batch,
        embedding=v.embedding,
        flash_attn=v.flash_attn,
        n_parallel=v.n_parallel,
        rope_scaling_type=_enum(
            "rope_scaling_type", v.rope_scaling_type, range(-1, LLAMA_ROPE_SCALING_TYPE_MAX_VALUE + 1)
        ),
        pooling_type=_enum("pooling_type", v.pooling_type, range(-1, LLAMA_POOLING_TYPE_RANK + 1)),
        attention_type=_enum("attention_type", v.attention_type, range(-1, 2)),
        rope_freq_base=_number("rope_freq_base", v.rope_freq_base, 0.0),
        rope_freq_scale=_number("rope_freq_scale", v.rope_freq_scale, 0.0),
        yarn_ext_factor=_number("yarn_ext_factor", v.yarn_ext_factor, None),
        yarn_attn_factor=-1.0 if v.yarn_attn_factor is None else _number("yarn_attn_factor", v.yarn_attn_factor, None),
        yarn_beta_fast=-1.0 if v.yarn_beta_fast is None else _number("yarn_beta_fast", v.yarn_beta_fast, None),
        yarn_beta_slow=-1.0 if v.yarn_beta_slow is None else _number("yarn_beta_slow", v.yarn_beta_slow, None),
        yarn_orig_ctx=_enum("yarn_orig_ctx", v.yarn_orig_ctx, range(0, 1 << 31)),
        type_k=GGML_TYPE_F16 if v.type_k is None else ggml_type_from_name(v.type_k),
        type_v=GGML_TYPE_F16 if v.type_v is None else ggml_type_from_name(v.type_v),
        offload_kqv=bool(v.offload_kqv),
        op_offload=True if v.op_offload is None else bool(v.op_offload),
        swa_full=True if v.swa_full is None else bool(v.swa_full),
        no_perf=bool(v.no_perf),
    )
    cp = _native.ContextParams()
    for name in _PASSED_THROUGH:
        setattr(cp, name, settings[name])
    parallel = v.n_parallel if not v.embedding else 1
    cp.n_ctx = v.n_ctx * parallel
    cp.n_seq_max = parallel
    cp.n_batch = settings["n_batch"]
    cp.n_ubatch = settings["n_ubatch"]
    cp.n_threads = v.n_threads
    cp.n_threads_batch = v.n_threads_batch
    cp.embeddings = v.embedding
    cp.flash_attn = -1 if v.flash_attn is None else int(bool(v.flash_attn))
    return settings, cp


_PASSED_THROUGH = (
    "rope_scaling_type", "pooling_type", "attention_type", "rope_freq_base", "rope_freq_scale", "yarn_ext_factor",
    "yarn_attn_factor", "yarn_beta_fast", "yarn_beta_slow", "yarn_orig_ctx", "type_k", "type_v", "offload_kqv",
    "op_offload", "swa_full", "no_perf",
)  # fmt: skip


def _number(name: str, value: float, minimum: float | None) -> float:
    value = finite(name, value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
    return value


def load_projector(model: _native.Model, path: str, n_threads: int, use_gpu: bool) -> _native.Projector:
    """The image projector (``mmproj`` GGUF) at ``path`` for ``model``, loaded by libmtmd.

    Errors name the problem: a missing file, a file that is no projector, a
    projector made for a model of another width, or an audio-only one.
    """
    if not os.path.isfile(path):
        raise FileNotFoundError(f"projector (mmproj) file not found: {path}")
    try:
        projector = _native.Projector(model, path, n_threads, use_gpu)
    except ValueError as exc:
        raise ValueError(f"{exc} (is it the projector made for this model?)") from None
    if not projector.supports_vision:
        raise ValueError(f"the projector {path} reads audio only; llama-native reads images")
    return projector


class LoadedModel:
    """What :func:`load_into` sets on a ``Llama`` from its constructor's arguments (``Llama`` inherits it)."""

    model_path: str
    verbose: bool
    seed: int
    last_n_tokens_size: int
    chat_format: str | None
    chat_handler: Callable[..., Any] | None
    draft_model: PromptLookupDecoding | None
    grammar_engine: GrammarEngine
    jump_forward: bool
    json_whitespace: str
    #: the image projector GGUF (None: this model reads no images)
    mmproj_path: str | None
    spm_infill: bool
    logits_all: bool
    lora_base: str | None
    lora_path: LoraSpec
    lora_scale: float
    numa: int
    model_params: Settings
    context_params: Settings
    metadata: dict[str, str]
    chat_template: str | None
    _tokenizer_override: Any
    _loras: LoraAdapters

    _native_model: _native.Model | None
    _ctx: _native.Context | None
    _projector: _native.Projector | None
    _verbose_held: bool
    _chat_formatter: ChatFormatter | None
    _chat_formatter_key: tuple[str | None, str | None]


def _accepted(function: Callable[..., Any], options: Mapping[str, Any]) -> dict[str, Any]:
    """The options ``function`` takes as keyword arguments (so a load parameter is listed once, where it is used)."""
    names = inspect.signature(function).parameters
    return {k: v for k, v in options.items() if k in names}


def load_into(llm: LoadedModel, options: dict[str, Any]) -> None:
    """Check ``Llama(...)``'s arguments (``options``: its ``locals()``), load the model and create its context.

    Sets the attributes ``Llama`` documents (``model_path``, ``model_params``,
    ``context_params``, ``chat_template``, ...).  Each bad argument raises
    before anything native is touched; a file llama.cpp cannot load raises
    :class:`ModelLoadError`.
    """
    from .._llguidance import resolve_engine
    from ..chat.vision_handlers import MultimodalChatHandler
    from ..request.structure import check_whitespace
    from ..schema.json_rules import WHITESPACE_MODES
    from ..speculative import PromptLookupDecoding
    from ..system import warn_if_amx_in_use

    o = dict(options)
    llm.model_path = os.fspath(o["model_path"])
    llm.verbose = o["verbose"]
    o["n_threads"] = default_threads() if o["n_threads"] is None else o["n_threads"]
    o["n_threads_batch"] = o["n_threads"] if o["n_threads_batch"] is None else o["n_threads_batch"]
    refuse_unsupported(lora_base=o["lora_base"], extra=o["kwargs"])
    check_arguments(**_accepted(check_arguments, o))
    if isinstance(o["flash_attn"], FlashAttnDefault):
        o["flash_attn"] = o["flash_attn"].resolve(o["n_parallel"])
    named_handler = None
    if o["chat_format"] is not None:
        from ..chat.formats import get_chat_formatter
        from ..compat.llama_chat_format import LlamaChatCompletionHandlerRegistry

        # llama-cpp-python's handler names (chatml-function-calling, functionary...) answer as a chat_handler
        named_handler = LlamaChatCompletionHandlerRegistry._chat_handlers.get(o["chat_format"])
        if named_handler is None:
            get_chat_formatter(o["chat_format"])  # ValueError naming the known formats
    llm.chat_format = o["chat_format"]
    draft_model = o["draft_model"]
    if draft_model is not None and not isinstance(draft_model, PromptLookupDecoding):
        raise ValueError(
            "draft_model must be a PromptLookupDecoding (n-gram prompt lookup); draft models are not supported yet"
        )
    llm.draft_model = draft_model
    llm.grammar_engine = resolve_engine(o["grammar_engine"])
    # jump-forward decodes forced tokens in one batch; without flash attention ggml's CPU attention
    # rounds by batch, so the default keeps it to contexts with flash attention (same output either way)
    llm.jump_forward = o["flash_attn"] is not False if o["jump_forward"] is None else bool(o["jump_forward"])
    if check_whitespace(o["json_whitespace"]) is None:
        raise ValueError(f"json_whitespace must be one of {', '.join(WHITESPACE_MODES)}, got None")
    llm.json_whitespace = o["json_whitespace"]
    chat_handler = o["chat_handler"] if o["chat_handler"] is not None else named_handler
    if chat_handler is not None and not callable(chat_handler):
        raise ValueError(f"chat_handler must be callable, got {type(chat_handler).__name__}")
    llm.chat_handler = chat_handler
    mmproj_path = o["mmproj_path"]
    if isinstance(chat_handler, MultimodalChatHandler):
        if mmproj_path is not None and os.fspath(mmproj_path) != chat_handler.clip_model_path:
            raise ValueError("give the projector once: mmproj_path or the chat handler's clip_model_path")
        mmproj_path = chat_handler.clip_model_path
    llm.mmproj_path = os.fspath(mmproj_path) if mmproj_path is not None else None
    tokenizer = o["tokenizer"]
    if tokenizer is not None and not (hasattr(tokenizer, "tokenize") and hasattr(tokenizer, "detokenize")):
        raise ValueError("tokenizer must have tokenize() and detokenize() (a llama_tokenizer.BaseLlamaTokenizer)")
    llm._tokenizer_override = tokenizer
    llm.spm_infill = bool(o["spm_infill"])
    llm.logits_all = bool(o["logits_all"])
    loras = normalize_loras(o["lora_path"], o["lora_scale"])
    llm.lora_base, llm.lora_path, llm.lora_scale = o["lora_base"], o["lora_path"], o["lora_scale"]
    llm.numa = numa_strategy(o["numa"])

    check_model_file(llm.model_path)
    progress_callback = o["progress_callback"]
    if o["verbose"]:
        _logging.acquire_verbose()
        llm._verbose_held = True
        if progress_callback is None:
            progress_callback = _logging.ProgressPrinter(llm.model_path)
    llm.model_params, params = model_params(o)
    if llm.numa:
        _native.numa_init(llm.numa)
    try:
        model = llm._native_model = _native.Model(llm.model_path, params, progress_callback)
    except RuntimeError as exc:
        raise ModelLoadError(str(exc)) from None
    warn_if_amx_in_use(model.buffer_types(), llm.model_path)

    llm.seed = o["seed"]
    llm.last_n_tokens_size = o["last_n_tokens_size"]
    llm.metadata = model.metadata()
    llm.chat_template = model.chat_template() or None
    llm.context_params, native_params = context_params({**o, "n_ctx": o["n_ctx"] or model.n_ctx_train})
    llm._loras = LoraAdapters(model)
    if not o["vocab_only"]:
        try:
            llm._ctx = _native.Context(model, native_params)
        except RuntimeError as exc:
            raise ValueError(f"cannot create a context for '{llm.model_path}': {exc}") from None
    if loras:
        llm._loras.apply(llm._ctx, loras)
    if llm.mmproj_path is not None:
        llm._projector = load_projector(model, llm.mmproj_path, o["n_threads"], o["n_gpu_layers"] != 0)
        if isinstance(chat_handler, MultimodalChatHandler) and llm.chat_format is None:
            # a GGUF without a template gets the handler's format
            llm.chat_template = llm.chat_template or chat_handler.CHAT_FORMAT
