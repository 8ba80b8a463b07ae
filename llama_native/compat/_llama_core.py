"""The hand-written core of :mod:`llama_native.llama_cpp` (see its docstring): types, structs, functions.

Example::

    >>> from llama_native.compat._llama_core import llama_token_data
    >>> sorted(name for name, _ in llama_token_data._fields_)
    ['id', 'logit', 'p']
"""


from __future__ import annotations

import ctypes
from ctypes import POINTER, Structure, c_bool, c_char_p, c_float, c_int8, c_int32, c_size_t, c_uint8, c_uint32, c_void_p
from typing import Any

from .. import _native
from ..constants import *  # noqa: F403  (LLAMA_*/GGML_* enums, as llama_cpp exports them)

c_int = ctypes.c_int
c_uint64 = ctypes.c_uint64
c_int64 = ctypes.c_int64

_lib = ctypes.CDLL(_native.__file__)

LLAMA_DEFAULT_SEED = 0xFFFFFFFF
LLAMA_TOKEN_NULL = -1

llama_token = c_int32
llama_token_p = POINTER(llama_token)
llama_pos = c_int32
llama_seq_id = c_int32
llama_model_p = c_void_p
llama_context_p = c_void_p
llama_vocab_p = c_void_p
llama_memory_t = c_void_p
llama_sampler_p = c_void_p
llama_adapter_lora_p = c_void_p
llama_progress_callback = ctypes.CFUNCTYPE(c_bool, c_float, c_void_p)


class llama_token_data(Structure):
    """A candidate token: id, logit, probability."""

    _fields_ = [("id", llama_token), ("logit", c_float), ("p", c_float)]


llama_token_data_p = POINTER(llama_token_data)


class llama_token_data_array(Structure):
    """Candidates for a sampler: data, size, the selected index, whether sorted."""

    _fields_ = [("data", llama_token_data_p), ("size", c_size_t), ("selected", c_int64), ("sorted", c_bool)]


llama_token_data_array_p = POINTER(llama_token_data_array)


class llama_batch(Structure):
    """Input of ``llama_decode``: tokens (or embeddings) with positions, sequences and output flags."""

    _fields_ = [
        ("n_tokens", c_int32),
        ("token", POINTER(llama_token)),
        ("embd", POINTER(c_float)),
        ("pos", POINTER(llama_pos)),
        ("n_seq_id", POINTER(c_int32)),
        ("seq_id", POINTER(POINTER(llama_seq_id))),
        ("logits", POINTER(c_int8)),
    ]


class llama_model_params(Structure):
    """How to load a model (``llama_model_default_params()`` fills it)."""

    _fields_ = [
        ("devices", c_void_p),
        ("tensor_buft_overrides", c_void_p),
        ("n_gpu_layers", c_int32),
        ("split_mode", c_int),
        ("load_mode", c_int),
        ("lazy_mode", c_int),
        ("main_gpu", c_int32),
        ("tensor_split", POINTER(c_float)),
        ("progress_callback", c_void_p),
        ("progress_callback_user_data", c_void_p),
        ("kv_overrides", c_void_p),
        ("vocab_only", c_bool),
        ("check_tensors", c_bool),
        ("use_extra_bufts", c_bool),
        ("no_host", c_bool),
        ("no_alloc", c_bool),
        ("load_mtp", c_bool),
    ]


class llama_context_params(Structure):
    """How to create a context (``llama_context_default_params()`` fills it)."""

    _fields_ = [
        ("n_ctx", c_uint32),
        ("n_batch", c_uint32),
        ("n_ubatch", c_uint32),
        ("n_seq_max", c_uint32),
        ("n_rs_seq", c_uint32),
        ("n_outputs_max", c_uint32),
        ("n_outputs_max_per_seq", c_uint32),
        ("n_threads", c_int32),
        ("n_threads_batch", c_int32),
        ("ctx_type", c_int),
        ("rope_scaling_type", c_int),
        ("pooling_type", c_int),
        ("attention_type", c_int),
        ("flash_attn_type", c_int),
        ("rope_freq_base", c_float),
        ("rope_freq_scale", c_float),
        ("yarn_ext_factor", c_float),
        ("yarn_attn_factor", c_float),
        ("yarn_beta_fast", c_float),
        ("yarn_beta_slow", c_float),
        ("yarn_orig_ctx", c_uint32),
        ("defrag_thold", c_float),
        ("cb_eval", c_void_p),
        ("cb_eval_user_data", c_void_p),
        ("type_k", c_int),
        ("type_v", c_int),
        ("abort_callback", c_void_p),
        ("abort_callback_data", c_void_p),
        ("embeddings", c_bool),
        ("offload_kqv", c_bool),
        ("no_perf", c_bool),
        ("op_offload", c_bool),
        ("swa_full", c_bool),
        ("kv_unified", c_bool),
        ("samplers", c_void_p),
        ("n_samplers", c_size_t),
        ("ctx_other", c_void_p),
    ]


class llama_sampler_chain_params(Structure):
    """Options of a sampler chain."""

    _fields_ = [("no_perf", c_bool)]


class llama_logit_bias(Structure):
    """A bias added to one token's logit."""

    _fields_ = [("token", llama_token), ("bias", c_float)]


def _check_layouts() -> None:
    sizes = _native.struct_sizes()
    ours = {
        "llama_model_params": llama_model_params,
        "llama_context_params": llama_context_params,
        "llama_batch": llama_batch,
        "llama_token_data": llama_token_data,
        "llama_token_data_array": llama_token_data_array,
        "llama_sampler_chain_params": llama_sampler_chain_params,
        "llama_logit_bias": llama_logit_bias,
    }
    for name, struct in ours.items():
        if ctypes.sizeof(struct) != sizes[name]:
            raise ImportError(
                f"llama_native.llama_cpp: {name} is {sizes[name]} bytes in the compiled llama.cpp but "
                f"{ctypes.sizeof(struct)} here; this module does not match the pinned llama.h"
            )


_check_layouts()


def _fn(name: str, argtypes: list[Any], restype: Any) -> Any:
    fn = getattr(_lib, name)
    fn.argtypes = argtypes
    fn.restype = restype
    return fn


# fmt: off
# --- backend, params, loading ----------------------------------------------------------------
llama_backend_init = _fn("llama_backend_init", [], None)
llama_backend_free = _fn("llama_backend_free", [], None)
llama_numa_init = _fn("llama_numa_init", [c_int], None)
llama_model_default_params = _fn("llama_model_default_params", [], llama_model_params)
llama_context_default_params = _fn("llama_context_default_params", [], llama_context_params)
llama_sampler_chain_default_params = _fn("llama_sampler_chain_default_params", [], llama_sampler_chain_params)
llama_model_load_from_file = _fn("llama_model_load_from_file", [c_char_p, llama_model_params], llama_model_p)
llama_model_free = _fn("llama_model_free", [llama_model_p], None)
llama_init_from_model = _fn("llama_init_from_model", [llama_model_p, llama_context_params], llama_context_p)
llama_free = _fn("llama_free", [llama_context_p], None)
llama_max_devices = _fn("llama_max_devices", [], c_size_t)
llama_supports_mmap = _fn("llama_supports_mmap", [], c_bool)
llama_supports_mlock = _fn("llama_supports_mlock", [], c_bool)
llama_supports_gpu_offload = _fn("llama_supports_gpu_offload", [], c_bool)
llama_print_system_info = _fn("llama_print_system_info", [], c_char_p)

# --- model and context facts -----------------------------------------------------------------
llama_n_ctx = _fn("llama_n_ctx", [llama_context_p], c_uint32)
llama_n_batch = _fn("llama_n_batch", [llama_context_p], c_uint32)
llama_n_ubatch = _fn("llama_n_ubatch", [llama_context_p], c_uint32)
llama_n_seq_max = _fn("llama_n_seq_max", [llama_context_p], c_uint32)
llama_get_model = _fn("llama_get_model", [llama_context_p], llama_model_p)
llama_pooling_type = _fn("llama_pooling_type", [llama_context_p], c_int)
llama_model_get_vocab = _fn("llama_model_get_vocab", [llama_model_p], llama_vocab_p)
llama_model_n_ctx_train = _fn("llama_model_n_ctx_train", [llama_model_p], c_int32)
llama_model_n_embd = _fn("llama_model_n_embd", [llama_model_p], c_int32)
llama_model_n_layer = _fn("llama_model_n_layer", [llama_model_p], c_int32)
llama_model_n_head = _fn("llama_model_n_head", [llama_model_p], c_int32)
llama_model_has_encoder = _fn("llama_model_has_encoder", [llama_model_p], c_bool)
llama_model_has_decoder = _fn("llama_model_has_decoder", [llama_model_p], c_bool)
llama_model_size = _fn("llama_model_size", [llama_model_p], c_uint64)
llama_model_n_params = _fn("llama_model_n_params", [llama_model_p], c_uint64)
llama_model_desc = _fn("llama_model_desc", [llama_model_p, c_char_p, c_size_t], c_int32)
llama_model_meta_val_str = _fn("llama_model_meta_val_str", [llama_model_p, c_char_p, c_char_p, c_size_t], c_int32)
llama_model_meta_count = _fn("llama_model_meta_count", [llama_model_p], c_int32)
llama_model_chat_template = _fn("llama_model_chat_template", [llama_model_p, c_char_p], c_char_p)

# --- vocabulary and tokenization ---------------------------------------------------------------
llama_vocab_n_tokens = _fn("llama_vocab_n_tokens", [llama_vocab_p], c_int32)
llama_vocab_get_text = _fn("llama_vocab_get_text", [llama_vocab_p, llama_token], c_char_p)
llama_vocab_get_score = _fn("llama_vocab_get_score", [llama_vocab_p, llama_token], c_float)
llama_vocab_is_eog = _fn("llama_vocab_is_eog", [llama_vocab_p, llama_token], c_bool)
llama_vocab_is_control = _fn("llama_vocab_is_control", [llama_vocab_p, llama_token], c_bool)
llama_vocab_bos = _fn("llama_vocab_bos", [llama_vocab_p], llama_token)
llama_vocab_eos = _fn("llama_vocab_eos", [llama_vocab_p], llama_token)
llama_vocab_eot = _fn("llama_vocab_eot", [llama_vocab_p], llama_token)
llama_vocab_sep = _fn("llama_vocab_sep", [llama_vocab_p], llama_token)
llama_vocab_nl = _fn("llama_vocab_nl", [llama_vocab_p], llama_token)
llama_vocab_pad = _fn("llama_vocab_pad", [llama_vocab_p], llama_token)
llama_vocab_get_add_bos = _fn("llama_vocab_get_add_bos", [llama_vocab_p], c_bool)
llama_vocab_get_add_eos = _fn("llama_vocab_get_add_eos", [llama_vocab_p], c_bool)
llama_vocab_fim_pre = _fn("llama_vocab_fim_pre", [llama_vocab_p], llama_token)
llama_vocab_fim_suf = _fn("llama_vocab_fim_suf", [llama_vocab_p], llama_token)
llama_vocab_fim_mid = _fn("llama_vocab_fim_mid", [llama_vocab_p], llama_token)
llama_tokenize = _fn(
    "llama_tokenize", [llama_vocab_p, c_char_p, c_int32, llama_token_p, c_int32, c_bool, c_bool], c_int32
)
llama_token_to_piece = _fn(
    "llama_token_to_piece", [llama_vocab_p, llama_token, c_char_p, c_int32, c_int32, c_bool], c_int32
)
llama_detokenize = _fn(
    "llama_detokenize", [llama_vocab_p, llama_token_p, c_int32, c_char_p, c_int32, c_bool, c_bool], c_int32
)

# --- batches, decoding, outputs ----------------------------------------------------------------
llama_batch_get_one = _fn("llama_batch_get_one", [llama_token_p, c_int32], llama_batch)
llama_batch_init = _fn("llama_batch_init", [c_int32, c_int32, c_int32], llama_batch)
llama_batch_free = _fn("llama_batch_free", [llama_batch], None)
llama_encode = _fn("llama_encode", [llama_context_p, llama_batch], c_int32)
llama_decode = _fn("llama_decode", [llama_context_p, llama_batch], c_int32)
llama_set_n_threads = _fn("llama_set_n_threads", [llama_context_p, c_int32, c_int32], None)
llama_set_embeddings = _fn("llama_set_embeddings", [llama_context_p, c_bool], None)
llama_set_causal_attn = _fn("llama_set_causal_attn", [llama_context_p, c_bool], None)
llama_synchronize = _fn("llama_synchronize", [llama_context_p], None)
llama_get_logits = _fn("llama_get_logits", [llama_context_p], POINTER(c_float))
llama_get_logits_ith = _fn("llama_get_logits_ith", [llama_context_p, c_int32], POINTER(c_float))
llama_get_embeddings = _fn("llama_get_embeddings", [llama_context_p], POINTER(c_float))
llama_get_embeddings_ith = _fn("llama_get_embeddings_ith", [llama_context_p, c_int32], POINTER(c_float))
llama_get_embeddings_seq = _fn("llama_get_embeddings_seq", [llama_context_p, llama_seq_id], POINTER(c_float))

# --- KV memory and state -----------------------------------------------------------------------
llama_get_memory = _fn("llama_get_memory", [llama_context_p], llama_memory_t)
llama_memory_clear = _fn("llama_memory_clear", [llama_memory_t, c_bool], None)
llama_memory_seq_rm = _fn("llama_memory_seq_rm", [llama_memory_t, llama_seq_id, llama_pos, llama_pos], c_bool)
llama_memory_seq_cp = _fn(
    "llama_memory_seq_cp", [llama_memory_t, llama_seq_id, llama_seq_id, llama_pos, llama_pos], None
)
llama_memory_seq_keep = _fn("llama_memory_seq_keep", [llama_memory_t, llama_seq_id], None)
llama_memory_seq_add = _fn(
    "llama_memory_seq_add", [llama_memory_t, llama_seq_id, llama_pos, llama_pos, llama_pos], None
)
llama_memory_seq_pos_min = _fn("llama_memory_seq_pos_min", [llama_memory_t, llama_seq_id], llama_pos)
llama_memory_seq_pos_max = _fn("llama_memory_seq_pos_max", [llama_memory_t, llama_seq_id], llama_pos)
llama_state_get_size = _fn("llama_state_get_size", [llama_context_p], c_size_t)
llama_state_get_data = _fn("llama_state_get_data", [llama_context_p, POINTER(c_uint8), c_size_t], c_size_t)
llama_state_set_data = _fn("llama_state_set_data", [llama_context_p, POINTER(c_uint8), c_size_t], c_size_t)
llama_state_seq_get_size = _fn("llama_state_seq_get_size", [llama_context_p, llama_seq_id], c_size_t)
llama_state_seq_get_data = _fn(
    "llama_state_seq_get_data", [llama_context_p, POINTER(c_uint8), c_size_t, llama_seq_id], c_size_t
)
llama_state_seq_set_data = _fn(
    "llama_state_seq_set_data", [llama_context_p, POINTER(c_uint8), c_size_t, llama_seq_id], c_size_t
)

# --- LoRA adapters -----------------------------------------------------------------------------
llama_adapter_lora_init = _fn("llama_adapter_lora_init", [llama_model_p, c_char_p], llama_adapter_lora_p)
llama_adapter_lora_free = _fn("llama_adapter_lora_free", [llama_adapter_lora_p], None)
llama_set_adapters_lora = _fn(
    "llama_set_adapters_lora", [llama_context_p, POINTER(llama_adapter_lora_p), c_size_t, POINTER(c_float)], c_int32
)

# --- samplers ----------------------------------------------------------------------------------
llama_sampler_chain_init = _fn("llama_sampler_chain_init", [llama_sampler_chain_params], llama_sampler_p)
llama_sampler_chain_add = _fn("llama_sampler_chain_add", [llama_sampler_p, llama_sampler_p], None)
llama_sampler_chain_n = _fn("llama_sampler_chain_n", [llama_sampler_p], c_int)
llama_sampler_name = _fn("llama_sampler_name", [llama_sampler_p], c_char_p)
llama_sampler_accept = _fn("llama_sampler_accept", [llama_sampler_p, llama_token], None)
llama_sampler_apply = _fn("llama_sampler_apply", [llama_sampler_p, llama_token_data_array_p], None)
llama_sampler_reset = _fn("llama_sampler_reset", [llama_sampler_p], None)
llama_sampler_free = _fn("llama_sampler_free", [llama_sampler_p], None)
llama_sampler_sample = _fn("llama_sampler_sample", [llama_sampler_p, llama_context_p, c_int32], llama_token)
llama_sampler_get_seed = _fn("llama_sampler_get_seed", [llama_sampler_p], c_uint32)
llama_sampler_init_greedy = _fn("llama_sampler_init_greedy", [], llama_sampler_p)
llama_sampler_init_dist = _fn("llama_sampler_init_dist", [c_uint32], llama_sampler_p)
llama_sampler_init_top_k = _fn("llama_sampler_init_top_k", [c_int32], llama_sampler_p)
llama_sampler_init_top_p = _fn("llama_sampler_init_top_p", [c_float, c_size_t], llama_sampler_p)
llama_sampler_init_min_p = _fn("llama_sampler_init_min_p", [c_float, c_size_t], llama_sampler_p)
llama_sampler_init_typical = _fn("llama_sampler_init_typical", [c_float, c_size_t], llama_sampler_p)
llama_sampler_init_temp = _fn("llama_sampler_init_temp", [c_float], llama_sampler_p)
llama_sampler_init_temp_ext = _fn("llama_sampler_init_temp_ext", [c_float, c_float, c_float], llama_sampler_p)
llama_sampler_init_penalties = _fn(
    "llama_sampler_init_penalties", [c_int32, c_int32, c_float, c_float, c_float], llama_sampler_p
)
llama_sampler_init_mirostat = _fn(
    "llama_sampler_init_mirostat", [c_int32, c_uint32, c_float, c_float, c_int32], llama_sampler_p
)
llama_sampler_init_mirostat_v2 = _fn("llama_sampler_init_mirostat_v2", [c_uint32, c_float, c_float], llama_sampler_p)
llama_sampler_init_grammar = _fn("llama_sampler_init_grammar", [llama_vocab_p, c_char_p, c_char_p], llama_sampler_p)
llama_sampler_init_logit_bias = _fn(
    "llama_sampler_init_logit_bias", [c_int32, c_int32, POINTER(llama_logit_bias)], llama_sampler_p
)
# fmt: on
