"""The core of ``llama.h`` as ctypes functions, as llama-cpp-python's low-level ``llama_cpp`` module has them.

The functions are llama.cpp's own, called in the compiled extension that
``llama_native`` already loaded (its llama.cpp symbols are exported), with
the same names, argument order and ctypes types as llama-cpp-python's
bindings, so low-level code ports by changing the import
(``import llama_native.llama_cpp as llama_cpp``).  The structs are checked
against the compiled library's ``sizeof`` when this module is imported: a
layout that drifted raises ``ImportError`` instead of corrupting memory.

What it covers: backend init, model and context loading with their params
structs, the vocabulary (special tokens, text), tokenize / token_to_piece /
detokenize, batches, encode/decode, logits and embeddings, KV memory
(clear, seq_rm/cp/keep/add, positions), state save/restore, LoRA adapters,
the sampler chain and its common samplers (greedy, dist, top-k, top-p,
min-p, typical, temperature, penalties, mirostat, grammar, logit bias).

The rest of llama-cpp-python's names (quantization, control vectors,
training, threadpools, performance counters, the deprecated aliases such as
``llama_token_bos``, ``llama_log_set``, ``llama_chat_apply_template``, every
``LLAMA_FTYPE_*``) are generated from llama-cpp-python 0.3.36's own bindings
(:mod:`llama_native.compat._llama_h`, written by
``scripts/gen_llama_h_bindings.py``).  As with
llama-cpp-python's module, a wrong pointer here is a crash: this is the
layer below the safe API.

Example::

    >>> import ctypes
    >>> import llama_native.llama_cpp as llama_cpp
    >>> from llama_native.testing import synthetic_model_path
    >>> llama_cpp.llama_backend_init()
    >>> model = llama_cpp.llama_model_load_from_file(str(synthetic_model_path()).encode(),
    ...                                              llama_cpp.llama_model_default_params())
    >>> vocab = llama_cpp.llama_model_get_vocab(model)
    >>> tokens = (llama_cpp.llama_token * 16)()
    >>> n = llama_cpp.llama_tokenize(vocab, b"hello world", 11, tokens, 16, False, False)
    >>> buf = ctypes.create_string_buffer(64)
    >>> size = llama_cpp.llama_detokenize(vocab, tokens, n, buf, 64, False, False)
    >>> buf.raw[:size]
    b'hello world'
    >>> llama_cpp.llama_model_free(model)
"""

from __future__ import annotations

import warnings
from ctypes import c_float
from typing import Any

from ._llama_core import *  # noqa: F403
from ._llama_core import _lib, _native, llama_adapter_lora_p, llama_set_adapters_lora  # noqa: F401  (as llama-cpp-python's module has them)
from ._llama_h import *  # noqa: F403
from ._llama_h import llama_set_adapter_cvec


def llama_set_adapter_lora(ctx: Any, adapter: Any, scale: float, /) -> int:
    """Deprecated: one adapter at ``scale`` through ``llama_set_adapters_lora`` (as llama-cpp-python's alias)."""
    warnings.warn(
        "llama_set_adapter_lora is deprecated; use llama_set_adapters_lora instead", DeprecationWarning, stacklevel=2
    )
    adapters = (llama_adapter_lora_p * 1)(adapter)
    scales = (c_float * 1)(scale)
    return int(llama_set_adapters_lora(ctx, adapters, 1, scales))


def llama_apply_adapter_cvec(
    ctx: Any, data: Any, len: int, n_embd: int, il_start: int, il_end: int, /  # noqa: A002  (llama.h's name)
) -> int:
    """Deprecated: ``llama_set_adapter_cvec`` under its old name (as llama-cpp-python's alias)."""
    warnings.warn(
        "llama_apply_adapter_cvec is deprecated; use llama_set_adapter_cvec instead", DeprecationWarning, stacklevel=2
    )
    return int(llama_set_adapter_cvec(ctx, data, len, n_embd, il_start, il_end))
