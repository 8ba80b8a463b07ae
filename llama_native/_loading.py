"""Loading a model and creating its context: file checks, parameter checks, the native parameter structs.

``Llama.__init__`` calls these; each raises a clear exception naming the
problem before anything native is touched.

Example::

    >>> from llama_native._loading import context_params
    >>> settings, native = context_params(n_ctx=256, n_batch=512, n_ubatch=512, n_threads=2, n_threads_batch=2,
    ...                                   embedding=False, flash_attn=None, n_parallel=4)
    >>> settings["n_batch"], native.n_ctx, native.n_seq_max, native.flash_attn
    (256, 1024, 4, -1)
"""

from __future__ import annotations

import os
from typing import Any

from . import _native


class ModelLoadError(ValueError):
    """The model file could not be loaded (missing, not GGUF, truncated, corrupt)."""


class ContextOverflowError(ValueError):
    """The prompt is longer than the context window (``n_ctx``); a ``ValueError``, as in llama-cpp-python.

    ``prompt_tokens`` and ``n_ctx`` say by how much.  The LangChain integration
    raises it as langchain-core's ``ContextOverflowError`` too, so middleware
    that shortens the conversation can recover.
    """

    def __init__(self, prompt_tokens: int, n_ctx: int) -> None:
        super().__init__(
            f"prompt is {prompt_tokens} tokens long, longer than the context window of {n_ctx} tokens "
            f"(n_ctx); shorten the prompt or load the model with a larger n_ctx"
        )
        self.prompt_tokens = prompt_tokens
        self.n_ctx = n_ctx


# llama-cpp-python constructor arguments that have no effect here (accepted so code ports unchanged).
IGNORED_LLAMA_CPP_PYTHON_ARGS = frozenset(
    {
        "split_mode", "main_gpu", "tensor_split", "rpc_servers", "kv_overrides", "rope_scaling_type",
        "pooling_type", "rope_freq_base", "rope_freq_scale", "yarn_ext_factor", "yarn_attn_factor",
        "yarn_beta_fast", "yarn_beta_slow", "yarn_orig_ctx", "logits_all", "offload_kqv", "numa",
        "chat_handler", "tokenizer", "type_k", "type_v", "spm_infill", "lora_base", "lora_scale",
        "lora_path", "swa_full",
    }
)  # fmt: skip


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
    extra: dict[str, Any],
) -> None:
    """``ValueError`` naming an out-of-range argument; ``TypeError`` for an unknown keyword one."""
    for name, value in (("n_ctx", n_ctx), ("n_batch", n_batch), ("n_ubatch", n_ubatch), ("n_parallel", n_parallel)):
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    for name, value in (("n_threads", n_threads), ("n_threads_batch", n_threads_batch)):
        if not isinstance(value, int) or value <= 0:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if not isinstance(n_gpu_layers, int):
        raise ValueError(f"n_gpu_layers must be an integer, got {n_gpu_layers!r}")
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise ValueError(f"seed must be an integer, got {seed!r}")
    unknown = set(extra) - IGNORED_LLAMA_CPP_PYTHON_ARGS
    if unknown:
        raise TypeError(f"Llama() got unexpected keyword arguments: {', '.join(sorted(unknown))}")
    if extra.get("chat_handler") is not None:
        raise ValueError("chat_handler is not supported; use chat_format=... or llama_native.chat.register_chat_format")


def model_params(*, n_gpu_layers: int, use_mmap: bool, use_mlock: bool, vocab_only: bool) -> _native.ModelParams:
    """The native model-loading parameters."""
    params = _native.ModelParams()
    params.n_gpu_layers = n_gpu_layers
    params.use_mmap = use_mmap
    params.use_mlock = use_mlock
    params.vocab_only = vocab_only
    return params


def context_params(
    *,
    n_ctx: int,
    n_batch: int,
    n_ubatch: int,
    n_threads: int,
    n_threads_batch: int,
    embedding: bool,
    flash_attn: bool | None,
    n_parallel: int,
) -> tuple[dict[str, Any], _native.ContextParams]:
    """The context's settings as ``Llama.context_params`` reports them, and the native parameters.

    ``n_parallel`` sequences of ``n_ctx`` tokens each are decoded together
    by continuous batching (an embedding context has one);
    ``flash_attn=None`` is llama.cpp's auto.
    """
    settings: dict[str, Any] = dict(
        n_ctx=n_ctx,
        n_batch=min(n_batch, n_ctx),
        n_ubatch=min(n_ubatch, n_batch, n_ctx),
        n_threads=n_threads,
        n_threads_batch=n_threads_batch,
        embedding=embedding,
        flash_attn=flash_attn,
        n_parallel=n_parallel,
    )
    cp = _native.ContextParams()
    parallel = n_parallel if not embedding else 1
    cp.n_ctx = n_ctx * parallel
    cp.n_seq_max = parallel
    cp.n_batch = settings["n_batch"]
    cp.n_ubatch = settings["n_ubatch"]
    cp.n_threads = n_threads
    cp.n_threads_batch = n_threads_batch
    cp.embeddings = embedding
    cp.flash_attn = -1 if flash_attn is None else int(bool(flash_attn))
    return settings, cp
