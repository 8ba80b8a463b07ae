"""Random-weight GGUF models for tests and benchmarks (no download needed).

A random model's text means nothing, but it exercises every part of the
runtime: loading, tokenizing, decoding, sampling, grammars, chat templates.
Two kinds of model are written with the ``gguf`` package:

* a *synthetic* one: a tiny Llama-architecture model with a small
  SentencePiece-style vocabulary (byte fallback, so any text tokenizes) and a
  ChatML template; it loads and decodes in milliseconds;
* a *real-tokenizer* one: the same architecture with the tokenizer copied
  from one of llama.cpp's vocab-only GGUFs (``models/ggml-vocab-*.gguf`` in
  the pinned source) and a real chat template from ``models/templates``.

Models are cached (keyed by their parameters) in the llama-native cache
directory, so a test session writes each one once.  The modules, by purpose:

* :mod:`~llama_native.testing.vocab`: the synthetic vocabulary and the real tokenizers;
* :mod:`~llama_native.testing.writer`: :class:`ModelSpec` and :func:`write_model` (one GGUF file);
* :mod:`~llama_native.testing.models`: the cached models by purpose (synthetic,
  real-tokenizer, quantized by llama.cpp's quantizer, the benchmark model);
* :mod:`~llama_native.testing.bert`: BERT embedding models (mean, CLS pooling)
  and a reranker (rank pooling, a classification head);
* :mod:`~llama_native.testing.lora` and :mod:`~llama_native.testing.projector`:
  LoRA adapters and image projectors for those models;
* :mod:`~llama_native.testing.real_models`: real GGUFs from outside
  (``LLAMA_NATIVE_TEST_MODEL``, SmolLM2).

Every name is importable from ``llama_native.testing`` itself.

Example::

    >>> from llama_native.testing import synthetic_model_path
    >>> from llama_native import Llama
    >>> llm = Llama(str(synthetic_model_path()), n_ctx=256, verbose=False)
    >>> out = llm("Hello", max_tokens=4, temperature=0)
    >>> out["usage"]["completion_tokens"] <= 4
    True

The environment variable ``LLAMA_NATIVE_TEST_MODEL`` names a real GGUF that
the test suite uses instead (see ``env_model_path``).
"""

from __future__ import annotations

from .bert import BertSpec, bert_model_path, embedding_model_path, reranker_model_path, write_bert_model
from .lora import synthetic_lora_path, write_lora
from .models import (
    QUANT_TYPES,
    bench_model_path,
    cached_model_path,
    quantized_model_path,
    real_tokenizer_model_path,
    synthetic_model_path,
)
from .projector import ProjectorSpec, synthetic_projector_path, write_projector
from .real_models import (
    SMOLLM2_DISTRIBUTION,
    SMOLLM2_FILE,
    SMOLLM2_MISSING,
    TEST_MMPROJ_ENV,
    TEST_MODEL_ENV,
    env_mmproj_path,
    env_model_path,
    smollm2_model_path,
)
from .vocab import CHATML_TEMPLATE, REAL_TOKENIZERS
from .writer import ModelSpec, add_llama_hyperparameters, write_model

__all__ = [
    "CHATML_TEMPLATE",
    "QUANT_TYPES",
    "REAL_TOKENIZERS",
    "SMOLLM2_DISTRIBUTION",
    "SMOLLM2_FILE",
    "SMOLLM2_MISSING",
    "TEST_MMPROJ_ENV",
    "TEST_MODEL_ENV",
    "BertSpec",
    "ModelSpec",
    "ProjectorSpec",
    "add_llama_hyperparameters",
    "bench_model_path",
    "bert_model_path",
    "embedding_model_path",
    "cached_model_path",
    "env_mmproj_path",
    "env_model_path",
    "quantized_model_path",
    "real_tokenizer_model_path",
    "reranker_model_path",
    "smollm2_model_path",
    "synthetic_lora_path",
    "synthetic_model_path",
    "synthetic_projector_path",
    "write_bert_model",
    "write_lora",
    "write_model",
    "write_projector",
]
