"""llama.cpp's enum constants under llama-cpp-python's names (``LLAMA_SPLIT_MODE_*``, ``GGML_TYPE_*``, ...).

Values are those of the pinned ``llama.h`` and ``ggml.h``; ``llama_native``
re-exports them at the top level, as ``llama_cpp`` does, so
``from llama_cpp import LLAMA_POOLING_TYPE_MEAN`` ports by changing the import.

Example::

    >>> from llama_native import GGML_TYPE_Q8_0, LLAMA_POOLING_TYPE_MEAN, ggml_type_from_name
    >>> GGML_TYPE_Q8_0, LLAMA_POOLING_TYPE_MEAN, ggml_type_from_name("q8_0")
    (8, 1, 8)
"""

from __future__ import annotations

LLAMA_SPLIT_MODE_NONE = 0
LLAMA_SPLIT_MODE_LAYER = 1
LLAMA_SPLIT_MODE_ROW = 2
LLAMA_SPLIT_MODE_TENSOR = 3

LLAMA_ROPE_SCALING_TYPE_UNSPECIFIED = -1
LLAMA_ROPE_SCALING_TYPE_NONE = 0
LLAMA_ROPE_SCALING_TYPE_LINEAR = 1
LLAMA_ROPE_SCALING_TYPE_YARN = 2
LLAMA_ROPE_SCALING_TYPE_LONGROPE = 3
LLAMA_ROPE_SCALING_TYPE_MAX_VALUE = LLAMA_ROPE_SCALING_TYPE_LONGROPE

LLAMA_POOLING_TYPE_UNSPECIFIED = -1
LLAMA_POOLING_TYPE_NONE = 0
LLAMA_POOLING_TYPE_MEAN = 1
LLAMA_POOLING_TYPE_CLS = 2
LLAMA_POOLING_TYPE_LAST = 3
LLAMA_POOLING_TYPE_RANK = 4

LLAMA_ATTENTION_TYPE_UNSPECIFIED = -1
LLAMA_ATTENTION_TYPE_CAUSAL = 0
LLAMA_ATTENTION_TYPE_NON_CAUSAL = 1

GGML_NUMA_STRATEGY_DISABLED = 0
GGML_NUMA_STRATEGY_DISTRIBUTE = 1
GGML_NUMA_STRATEGY_ISOLATE = 2
GGML_NUMA_STRATEGY_NUMACTL = 3
GGML_NUMA_STRATEGY_MIRROR = 4

GGML_TYPE_F32 = 0
GGML_TYPE_F16 = 1
GGML_TYPE_Q4_0 = 2
GGML_TYPE_Q4_1 = 3
GGML_TYPE_Q5_0 = 6
GGML_TYPE_Q5_1 = 7
GGML_TYPE_Q8_0 = 8
GGML_TYPE_Q8_1 = 9
GGML_TYPE_Q2_K = 10
GGML_TYPE_Q3_K = 11
GGML_TYPE_Q4_K = 12
GGML_TYPE_Q5_K = 13
GGML_TYPE_Q6_K = 14
GGML_TYPE_Q8_K = 15
GGML_TYPE_IQ2_XXS = 16
GGML_TYPE_IQ2_XS = 17
GGML_TYPE_IQ3_XXS = 18
GGML_TYPE_IQ1_S = 19
GGML_TYPE_IQ4_NL = 20
GGML_TYPE_IQ3_S = 21
GGML_TYPE_IQ2_S = 22
GGML_TYPE_IQ4_XS = 23
GGML_TYPE_I8 = 24
GGML_TYPE_I16 = 25
GGML_TYPE_I32 = 26
GGML_TYPE_I64 = 27
GGML_TYPE_F64 = 28
GGML_TYPE_IQ1_M = 29
GGML_TYPE_BF16 = 30
GGML_TYPE_TQ1_0 = 34
GGML_TYPE_TQ2_0 = 35
GGML_TYPE_MXFP4 = 39
GGML_TYPE_COUNT = 43

#: KV-cache element types llama.cpp's ``--cache-type-k/-v`` accept, by the names it uses.
KV_CACHE_TYPES: dict[str, int] = {
    "f32": GGML_TYPE_F32,
    "f16": GGML_TYPE_F16,
    "bf16": GGML_TYPE_BF16,
    "q8_0": GGML_TYPE_Q8_0,
    "q4_0": GGML_TYPE_Q4_0,
    "q4_1": GGML_TYPE_Q4_1,
    "iq4_nl": GGML_TYPE_IQ4_NL,
    "q5_0": GGML_TYPE_Q5_0,
    "q5_1": GGML_TYPE_Q5_1,
}


def ggml_type_from_name(name: str | int) -> int:
    """A KV-cache type as its ``GGML_TYPE_*`` value: a name llama.cpp's tools accept (``"q8_0"``) or the value.

    ``ValueError`` names the accepted types.
    """
    if isinstance(name, int) and not isinstance(name, bool):
        if name in KV_CACHE_TYPES.values():
            return name
    elif isinstance(name, str) and name.lower() in KV_CACHE_TYPES:
        return KV_CACHE_TYPES[name.lower()]
    names = ", ".join(f"{k} ({v})" for k, v in KV_CACHE_TYPES.items())
    raise ValueError(f"unknown KV cache type {name!r}; llama.cpp's KV cache takes {names}")


__all__ = [n for n in dir() if n.isupper()] + ["ggml_type_from_name"]
