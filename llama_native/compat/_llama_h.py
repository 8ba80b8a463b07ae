"""The rest of llama-cpp-python's low-level ``llama_cpp`` names. GENERATED: do not edit.

Written by ``scripts/gen_llama_h_bindings.py`` from llama-cpp-python 0.3.36's
``llama_cpp/llama_cpp.py`` (MIT License, Copyright (c) 2023 Andrei Betlen; its
signatures, constants and struct fields are reused here), for the names that
``llama_native/compat/llama_cpp.py`` does not define by hand.  Functions are
bound in the compiled extension (which exports llama.cpp's symbols) as there;
one it does not export raises ``NotImplementedError`` naming it.

Example::

    >>> import llama_native.llama_cpp as llama_cpp
    >>> llama_cpp.LLAMA_FTYPE_MOSTLY_Q8_0
    7
"""

# ruff: noqa: E501, F405
from __future__ import annotations

import ctypes
import warnings
from typing import Any, NewType

from ._llama_core import *  # noqa: F403  (the hand-written bindings: their types and structs)
from ._llama_core import _lib, _native


def _fn(name: str, argtypes: list[Any], restype: Any) -> Any:
    """llama.cpp's function ``name`` with these ctypes types, or one raising NotImplementedError if not exported."""
    try:
        fn = getattr(_lib, name)
    except AttributeError:

        def missing(*args: Any) -> Any:
            raise NotImplementedError(
                f"{name} is not exported by llama_native's compiled llama.cpp ({_native.__file__}); "
                "it is not part of the pinned llama.h build"
            )

        missing.__name__ = name
        return missing
    fn.argtypes = argtypes
    fn.restype = restype
    return fn


def _deprecated(fn: Any, name: str, hint: str) -> Any:
    """``fn`` behind a DeprecationWarning, as llama-cpp-python's deprecated aliases are."""

    def wrapper(*args: Any) -> Any:
        warnings.warn(f"{name} is deprecated; {hint}", DeprecationWarning, stacklevel=2)
        return fn(*args)

    wrapper.__name__ = name
    return wrapper


GGML_TYPE_NVFP4 = 40
GGML_TYPE_Q1_0 = 41
GGML_TYPE_Q2_0 = 42
ggml_backend_sched_eval_callback = ctypes.CFUNCTYPE(ctypes.c_bool, ctypes.c_void_p, ctypes.c_bool, ctypes.c_void_p)
ggml_abort_callback = ctypes.CFUNCTYPE(ctypes.c_bool, ctypes.c_void_p)
LLAMA_MAX_DEVICES = _lib.llama_max_devices()
LLAMA_FILE_MAGIC_GGLA = 0x67676C61
LLAMA_FILE_MAGIC_GGSN = 0x6767736E
LLAMA_FILE_MAGIC_GGSQ = 0x67677371
LLAMA_SESSION_MAGIC = LLAMA_FILE_MAGIC_GGSN
LLAMA_SESSION_VERSION = 10
LLAMA_STATE_SEQ_MAGIC = LLAMA_FILE_MAGIC_GGSQ
LLAMA_STATE_SEQ_VERSION = 3
llama_vocab_p_ctypes = ctypes.c_void_p
llama_model_p_ctypes = ctypes.c_void_p
llama_context_p_ctypes = ctypes.c_void_p
llama_memory_t_ctypes = ctypes.c_void_p
llama_kv_cache_p = NewType("llama_kv_cache_p", int)
llama_kv_cache_p_ctypes = ctypes.c_void_p
gguf_context_p = NewType("gguf_context_p", int)
gguf_context_p_ctypes = ctypes.c_void_p
llama_state_seq_flags = ctypes.c_uint32
LLAMA_VOCAB_TYPE_NONE = 0
LLAMA_VOCAB_TYPE_SPM = 1
LLAMA_VOCAB_TYPE_BPE = 2
LLAMA_VOCAB_TYPE_WPM = 3
LLAMA_VOCAB_TYPE_UGM = 4
LLAMA_VOCAB_TYPE_RWKV = 5
LLAMA_VOCAB_TYPE_PLAMO2 = 6
LLAMA_VOCAB_TYPE_TEST = 7
LLAMA_VOCAB_PRE_TYPE_DEFAULT = 0
LLAMA_VOCAB_PRE_TYPE_LLAMA3 = 1
LLAMA_VOCAB_PRE_TYPE_DEEPSEEK_LLM = 2
LLAMA_VOCAB_PRE_TYPE_DEEPSEEK_CODER = 3
LLAMA_VOCAB_PRE_TYPE_FALCON = 4
LLAMA_VOCAB_PRE_TYPE_MPT = 5
LLAMA_VOCAB_PRE_TYPE_STARCODER = 6
LLAMA_VOCAB_PRE_TYPE_GPT2 = 7
LLAMA_VOCAB_PRE_TYPE_REFACT = 8
LLAMA_VOCAB_PRE_TYPE_COMMAND_R = 9
LLAMA_VOCAB_PRE_TYPE_STABLELM2 = 10
LLAMA_VOCAB_PRE_TYPE_QWEN2 = 11
LLAMA_VOCAB_PRE_TYPE_OLMO = 12
LLAMA_VOCAB_PRE_TYPE_DBRX = 13
LLAMA_VOCAB_PRE_TYPE_SMAUG = 14
LLAMA_VOCAB_PRE_TYPE_PORO = 15
LLAMA_VOCAB_PRE_TYPE_CHATGLM3 = 16
LLAMA_VOCAB_PRE_TYPE_CHATGLM4 = 17
LLAMA_VOCAB_PRE_TYPE_VIKING = 18
LLAMA_VOCAB_PRE_TYPE_JAIS = 19
LLAMA_VOCAB_PRE_TYPE_TEKKEN = 20
LLAMA_VOCAB_PRE_TYPE_SMOLLM = 21
LLAMA_VOCAB_PRE_TYPE_CODESHELL = 22
LLAMA_VOCAB_PRE_TYPE_BLOOM = 23
LLAMA_VOCAB_PRE_TYPE_GPT3_FINNISH = 24
LLAMA_VOCAB_PRE_TYPE_EXAONE = 25
LLAMA_VOCAB_PRE_TYPE_CHAMELEON = 26
LLAMA_VOCAB_PRE_TYPE_MINERVA = 27
LLAMA_VOCAB_PRE_TYPE_DEEPSEEK3_LLM = 28
LLAMA_VOCAB_PRE_TYPE_GPT4O = 29
LLAMA_VOCAB_PRE_TYPE_SUPERBPE = 30
LLAMA_VOCAB_PRE_TYPE_TRILLION = 31
LLAMA_VOCAB_PRE_TYPE_BAILINGMOE = 32
LLAMA_VOCAB_PRE_TYPE_LLAMA4 = 33
LLAMA_VOCAB_PRE_TYPE_PIXTRAL = 34
LLAMA_VOCAB_PRE_TYPE_SEED_CODER = 35
LLAMA_ROPE_TYPE_NONE = -1
LLAMA_ROPE_TYPE_NORM = 0
LLAMA_ROPE_TYPE_NEOX = GGML_ROPE_TYPE_NEOX = 2
LLAMA_ROPE_TYPE_MROPE = GGML_ROPE_TYPE_MROPE = 8
LLAMA_ROPE_TYPE_IMROPE = GGML_ROPE_TYPE_IMROPE = 40
LLAMA_ROPE_TYPE_VISION = GGML_ROPE_TYPE_VISION = 24
LLAMA_TOKEN_TYPE_UNDEFINED = 0
LLAMA_TOKEN_TYPE_NORMAL = 1
LLAMA_TOKEN_TYPE_UNKNOWN = 2
LLAMA_TOKEN_TYPE_CONTROL = 3
LLAMA_TOKEN_TYPE_USER_DEFINED = 4
LLAMA_TOKEN_TYPE_UNUSED = 5
LLAMA_TOKEN_TYPE_BYTE = 6
LLAMA_TOKEN_ATTR_UNDEFINED = 0
LLAMA_TOKEN_ATTR_UNKNOWN = 1 << 0
LLAMA_TOKEN_ATTR_UNUSED = 1 << 1
LLAMA_TOKEN_ATTR_NORMAL = 1 << 2
LLAMA_TOKEN_ATTR_CONTROL = 1 << 3
LLAMA_TOKEN_ATTR_USER_DEFINED = 1 << 4
LLAMA_TOKEN_ATTR_BYTE = 1 << 5
LLAMA_TOKEN_ATTR_NORMALIZED = 1 << 6
LLAMA_TOKEN_ATTR_LSTRIP = 1 << 7
LLAMA_TOKEN_ATTR_RSTRIP = 1 << 8
LLAMA_TOKEN_ATTR_SINGLE_WORD = 1 << 9
LLAMA_FTYPE_ALL_F32 = 0
LLAMA_FTYPE_MOSTLY_F16 = 1
LLAMA_FTYPE_MOSTLY_Q4_0 = 2
LLAMA_FTYPE_MOSTLY_Q4_1 = 3
LLAMA_FTYPE_MOSTLY_Q8_0 = 7
LLAMA_FTYPE_MOSTLY_Q5_0 = 8
LLAMA_FTYPE_MOSTLY_Q5_1 = 9
LLAMA_FTYPE_MOSTLY_Q2_K = 10
LLAMA_FTYPE_MOSTLY_Q3_K_S = 11
LLAMA_FTYPE_MOSTLY_Q3_K_M = 12
LLAMA_FTYPE_MOSTLY_Q3_K_L = 13
LLAMA_FTYPE_MOSTLY_Q4_K_S = 14
LLAMA_FTYPE_MOSTLY_Q4_K_M = 15
LLAMA_FTYPE_MOSTLY_Q5_K_S = 16
LLAMA_FTYPE_MOSTLY_Q5_K_M = 17
LLAMA_FTYPE_MOSTLY_Q6_K = 18
LLAMA_FTYPE_MOSTLY_IQ2_XXS = 19
LLAMA_FTYPE_MOSTLY_IQ2_XS = 20
LLAMA_FTYPE_MOSTLY_Q2_K_S = 21
LLAMA_FTYPE_MOSTLY_IQ3_XS = 22
LLAMA_FTYPE_MOSTLY_IQ3_XXS = 23
LLAMA_FTYPE_MOSTLY_IQ1_S = 24
LLAMA_FTYPE_MOSTLY_IQ4_NL = 25
LLAMA_FTYPE_MOSTLY_IQ3_S = 26
LLAMA_FTYPE_MOSTLY_IQ3_M = 27
LLAMA_FTYPE_MOSTLY_IQ2_S = 28
LLAMA_FTYPE_MOSTLY_IQ2_M = 29
LLAMA_FTYPE_MOSTLY_IQ4_XS = 30
LLAMA_FTYPE_MOSTLY_IQ1_M = 31
LLAMA_FTYPE_MOSTLY_BF16 = 32
LLAMA_FTYPE_MOSTLY_TQ1_0 = 36
LLAMA_FTYPE_MOSTLY_TQ2_0 = 37
LLAMA_FTYPE_MOSTLY_MXFP4_MOE = 38
LLAMA_FTYPE_MOSTLY_NVFP4 = 39
LLAMA_FTYPE_MOSTLY_Q1_0 = 40
LLAMA_FTYPE_MOSTLY_Q2_0 = 41
LLAMA_FTYPE_GUESSED = 1024
LLAMA_FLASH_ATTN_TYPE_AUTO = -1
LLAMA_FLASH_ATTN_TYPE_DISABLED = 0
LLAMA_FLASH_ATTN_TYPE_ENABLED = 1
LLAMA_LOAD_MODE_AUTO = -1
LLAMA_LOAD_MODE_NONE = 0
LLAMA_LOAD_MODE_MMAP = 1
LLAMA_LOAD_MODE_MLOCK = 2
LLAMA_LOAD_MODE_MMAP_MLOCK = 3
LLAMA_LOAD_MODE_DIRECT_IO = 4
LLAMA_LAZY_MODE_OFF = 0
LLAMA_LAZY_MODE_AUTO = 1
LLAMA_LAZY_MODE_ON = 2
LLAMA_CONTEXT_TYPE_DEFAULT = 0
LLAMA_CONTEXT_TYPE_MTP = 1
LLAMA_KV_OVERRIDE_TYPE_INT = 0
LLAMA_KV_OVERRIDE_TYPE_FLOAT = 1
LLAMA_KV_OVERRIDE_TYPE_BOOL = 2
LLAMA_KV_OVERRIDE_TYPE_STR = 3
LLAMA_MODEL_META_KEY_SAMPLING_SEQUENCE = 0
LLAMA_MODEL_META_KEY_SAMPLING_TOP_K = 1
LLAMA_MODEL_META_KEY_SAMPLING_TOP_P = 2
LLAMA_MODEL_META_KEY_SAMPLING_MIN_P = 3
LLAMA_MODEL_META_KEY_SAMPLING_XTC_PROBABILITY = 4
LLAMA_MODEL_META_KEY_SAMPLING_XTC_THRESHOLD = 5
LLAMA_MODEL_META_KEY_SAMPLING_TEMP = 6
LLAMA_MODEL_META_KEY_SAMPLING_PENALTY_LAST_N = 7
LLAMA_MODEL_META_KEY_SAMPLING_PENALTY_REPEAT = 8
LLAMA_MODEL_META_KEY_SAMPLING_MIROSTAT = 9
LLAMA_MODEL_META_KEY_SAMPLING_MIROSTAT_TAU = 10
LLAMA_MODEL_META_KEY_SAMPLING_MIROSTAT_ETA = 11
LLAMA_PROCESS_TYPE_ENCODE = 0
LLAMA_PROCESS_TYPE_DECODE = 1
class llama_model_kv_override_value(ctypes.Union):
    """llama.h's ``llama_model_kv_override_value``."""
    _fields_ = [("val_i64", ctypes.c_int64), ("val_f64", ctypes.c_double), ("val_bool", ctypes.c_bool), ("val_str", ctypes.c_char * 128)]

class llama_model_kv_override(ctypes.Structure):
    """llama.h's ``llama_model_kv_override``."""
    _fields_ = [("tag", ctypes.c_int), ("key", ctypes.c_char * 128), ("value", llama_model_kv_override_value)]

class llama_model_tensor_override(ctypes.Structure):
    """Override the quantization type for tensors matching a pattern."""
    _fields_ = [("pattern", ctypes.c_char_p), ("type", ctypes.c_int)]

class llama_model_imatrix_data(ctypes.Structure):
    """Importance matrix data for a tensor used during quantization."""
    _fields_ = [("name", ctypes.c_char_p), ("data", ctypes.POINTER(ctypes.c_float)), ("size", ctypes.c_size_t)]

class llama_sampler_seq_config(ctypes.Structure):
    """llama.h's ``llama_sampler_seq_config``."""
    _fields_ = [("seq_id", llama_seq_id), ("sampler", ctypes.c_void_p)]

llama_log_callback = ctypes.CFUNCTYPE(None, ctypes.c_int, ctypes.c_char_p, ctypes.c_void_p)
class llama_model_quantize_params(ctypes.Structure):
    """Parameters for llama_model_quantize."""
    _fields_ = [("nthread", ctypes.c_int32), ("ftype", ctypes.c_int), ("output_tensor_type", ctypes.c_int), ("token_embedding_type", ctypes.c_int), ("allow_requantize", ctypes.c_bool), ("quantize_output_tensor", ctypes.c_bool), ("only_copy", ctypes.c_bool), ("pure", ctypes.c_bool), ("keep_split", ctypes.c_bool), ("dry_run", ctypes.c_bool), ("imatrix", ctypes.POINTER(llama_model_imatrix_data)), ("kv_overrides", ctypes.POINTER(llama_model_kv_override)), ("tt_overrides", ctypes.POINTER(llama_model_tensor_override)), ("prune_layers", ctypes.POINTER(ctypes.c_int32)), ("max_buf_size", ctypes.c_size_t)]

llama_logit_bias_p = ctypes.POINTER(llama_logit_bias)
class llama_chat_message(ctypes.Structure):
    """llama.h's ``llama_chat_message``."""
    _fields_ = [("role", ctypes.c_char_p), ("content", ctypes.c_char_p)]

llama_adapter_lora_p_ctypes = ctypes.c_void_p
llama_version = _fn("llama_version", [], ctypes.c_char_p)
llama_model_quantize_default_params = _fn("llama_model_quantize_default_params", [], llama_model_quantize_params)
llama_flash_attn_type_name = _fn("llama_flash_attn_type_name", [ctypes.c_int], ctypes.c_char_p)
llama_load_mode_name = _fn("llama_load_mode_name", [ctypes.c_int], ctypes.c_char_p)
llama_load_mode_from_str = _fn("llama_load_mode_from_str", [ctypes.c_char_p], ctypes.c_int)
llama_ftype_name = _fn("llama_ftype_name", [ctypes.c_int], ctypes.c_char_p)
GGML_NUMA_STRATEGY_COUNT = 5
llama_load_model_from_file = _fn("llama_load_model_from_file", [ctypes.c_char_p, llama_model_params], llama_model_p_ctypes)
llama_load_model_from_file = _deprecated(llama_load_model_from_file, "llama_load_model_from_file", "use llama_model_load_from_file instead")
llama_model_load_from_splits = _fn("llama_model_load_from_splits", [ctypes.POINTER(ctypes.c_char_p), ctypes.c_size_t, llama_model_params], llama_model_p_ctypes)
llama_model_load_from_file_ptr = _fn("llama_model_load_from_file_ptr", [ctypes.c_void_p, llama_model_params], llama_model_p_ctypes)
llama_model_save_to_file = _fn("llama_model_save_to_file", [llama_model_p_ctypes, ctypes.c_char_p], None)
llama_free_model = _fn("llama_free_model", [llama_model_p_ctypes], None)
llama_free_model = _deprecated(llama_free_model, "llama_free_model", "use llama_model_free instead")
llama_model_set_tensor_data_t = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p)
llama_model_init_from_user = _fn("llama_model_init_from_user", [gguf_context_p_ctypes, llama_model_set_tensor_data_t, ctypes.c_void_p, llama_model_params], llama_model_p_ctypes)
llama_new_context_with_model = _fn("llama_new_context_with_model", [llama_model_p_ctypes, llama_context_params], llama_context_p_ctypes)
llama_new_context_with_model = _deprecated(llama_new_context_with_model, "llama_new_context_with_model", "use llama_init_from_model instead")
llama_time_us = _fn("llama_time_us", [], ctypes.c_int64)
llama_max_parallel_sequences = _fn("llama_max_parallel_sequences", [], ctypes.c_size_t)
llama_max_tensor_buft_overrides = _fn("llama_max_tensor_buft_overrides", [], ctypes.c_size_t)
llama_supports_rpc = _fn("llama_supports_rpc", [], ctypes.c_bool)
llama_n_ctx_seq = _fn("llama_n_ctx_seq", [llama_context_p_ctypes], ctypes.c_uint32)
llama_n_rs_seq = _fn("llama_n_rs_seq", [llama_context_p_ctypes], ctypes.c_uint32)
llama_n_ctx_train = _fn("llama_n_ctx_train", [llama_model_p_ctypes], ctypes.c_int32)
llama_n_ctx_train = _deprecated(llama_n_ctx_train, "llama_n_ctx_train", "use llama_model_n_ctx_train instead")
llama_n_embd = _fn("llama_n_embd", [llama_model_p_ctypes], ctypes.c_int32)
llama_n_embd = _deprecated(llama_n_embd, "llama_n_embd", "use llama_model_n_embd instead")
llama_n_layer = _fn("llama_n_layer", [llama_model_p_ctypes], ctypes.c_int32)
llama_n_layer = _deprecated(llama_n_layer, "llama_n_layer", "use llama_model_n_layer instead")
llama_n_head = _fn("llama_n_head", [llama_model_p_ctypes], ctypes.c_int32)
llama_n_head = _deprecated(llama_n_head, "llama_n_head", "use llama_model_n_head instead")
llama_n_vocab = _fn("llama_n_vocab", [llama_vocab_p_ctypes], ctypes.c_int32)
llama_n_vocab = _deprecated(llama_n_vocab, "llama_n_vocab", "use llama_vocab_n_tokens instead")
llama_model_rope_type = _fn("llama_model_rope_type", [llama_model_p_ctypes], ctypes.c_int)
llama_model_n_embd_inp = _fn("llama_model_n_embd_inp", [llama_model_p_ctypes], ctypes.c_int32)
llama_model_n_embd_out = _fn("llama_model_n_embd_out", [llama_model_p_ctypes], ctypes.c_int32)
llama_model_n_layer_nextn = _fn("llama_model_n_layer_nextn", [llama_model_p_ctypes], ctypes.c_int32)
llama_model_n_head_kv = _fn("llama_model_n_head_kv", [llama_model_p_ctypes], ctypes.c_int32)
llama_model_n_swa = _fn("llama_model_n_swa", [llama_model_p_ctypes], ctypes.c_int32)
llama_model_rope_freq_scale_train = _fn("llama_model_rope_freq_scale_train", [llama_model_p_ctypes], ctypes.c_float)
llama_model_n_cls_out = _fn("llama_model_n_cls_out", [llama_model_p_ctypes], ctypes.c_uint32)
llama_model_cls_label = _fn("llama_model_cls_label", [llama_model_p_ctypes, ctypes.c_uint32], ctypes.c_char_p)
llama_vocab_type = _fn("llama_vocab_type", [llama_vocab_p_ctypes], ctypes.c_int)
llama_model_meta_key_str = _fn("llama_model_meta_key_str", [ctypes.c_int], ctypes.c_char_p)
llama_model_meta_key_by_index = _fn("llama_model_meta_key_by_index", [llama_model_p_ctypes, ctypes.c_int32, ctypes.c_char_p, ctypes.c_size_t], ctypes.c_int32)
llama_model_meta_val_str_by_index = _fn("llama_model_meta_val_str_by_index", [llama_model_p_ctypes, ctypes.c_int32, ctypes.c_char_p, ctypes.c_size_t], ctypes.c_int32)
llama_model_ftype = _fn("llama_model_ftype", [llama_model_p_ctypes], ctypes.c_int)
llama_model_decoder_start_token = _fn("llama_model_decoder_start_token", [llama_model_p_ctypes], ctypes.c_int32)
llama_model_is_recurrent = _fn("llama_model_is_recurrent", [llama_model_p_ctypes], ctypes.c_bool)
llama_model_is_hybrid = _fn("llama_model_is_hybrid", [llama_model_p_ctypes], ctypes.c_bool)
llama_model_is_diffusion = _fn("llama_model_is_diffusion", [llama_model_p_ctypes], ctypes.c_bool)
llama_model_quantize = _fn("llama_model_quantize", [ctypes.c_char_p, ctypes.c_char_p, ctypes.POINTER(llama_model_quantize_params)], ctypes.c_uint32)
llama_adapter_lora_init_from_file_ptr = _fn("llama_adapter_lora_init_from_file_ptr", [llama_model_p_ctypes, ctypes.c_void_p], llama_adapter_lora_p_ctypes)
llama_adapter_meta_val_str = _fn("llama_adapter_meta_val_str", [llama_adapter_lora_p_ctypes, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_size_t], ctypes.c_int32)
llama_adapter_meta_count = _fn("llama_adapter_meta_count", [llama_adapter_lora_p_ctypes], ctypes.c_int32)
llama_adapter_meta_key_by_index = _fn("llama_adapter_meta_key_by_index", [llama_adapter_lora_p_ctypes, ctypes.c_int32, ctypes.c_char_p, ctypes.c_size_t], ctypes.c_int32)
llama_adapter_meta_val_str_by_index = _fn("llama_adapter_meta_val_str_by_index", [llama_adapter_lora_p_ctypes, ctypes.c_int32, ctypes.c_char_p, ctypes.c_size_t], ctypes.c_int32)
llama_adapter_get_alora_n_invocation_tokens = _fn("llama_adapter_get_alora_n_invocation_tokens", [llama_adapter_lora_p_ctypes], ctypes.c_uint64)
llama_adapter_get_alora_invocation_tokens = _fn("llama_adapter_get_alora_invocation_tokens", [llama_adapter_lora_p_ctypes], ctypes.POINTER(llama_token))
llama_set_adapter_cvec = _fn("llama_set_adapter_cvec", [llama_context_p_ctypes, ctypes.POINTER(ctypes.c_float), ctypes.c_size_t, ctypes.c_int32, ctypes.c_int32, ctypes.c_int32], ctypes.c_int32)
llama_memory_seq_div = _fn("llama_memory_seq_div", [llama_memory_t_ctypes, llama_seq_id, llama_pos, llama_pos, ctypes.c_int], None)
llama_memory_can_shift = _fn("llama_memory_can_shift", [llama_memory_t_ctypes], ctypes.c_bool)
llama_get_state_size = _fn("llama_get_state_size", [llama_context_p_ctypes], ctypes.c_size_t)
llama_get_state_size = _deprecated(llama_get_state_size, "llama_get_state_size", "use llama_state_get_size instead")
llama_copy_state_data = _fn("llama_copy_state_data", [llama_context_p_ctypes, ctypes.POINTER(ctypes.c_uint8)], ctypes.c_size_t)
llama_copy_state_data = _deprecated(llama_copy_state_data, "llama_copy_state_data", "use llama_state_get_data instead")
llama_set_state_data = _fn("llama_set_state_data", [llama_context_p_ctypes, ctypes.POINTER(ctypes.c_uint8)], ctypes.c_size_t)
llama_set_state_data = _deprecated(llama_set_state_data, "llama_set_state_data", "use llama_state_set_data instead")
llama_state_load_file = _fn("llama_state_load_file", [llama_context_p_ctypes, ctypes.c_char_p, llama_token_p, ctypes.c_size_t, ctypes.POINTER(ctypes.c_size_t)], ctypes.c_bool)
llama_load_session_file = _fn("llama_load_session_file", [llama_context_p_ctypes, ctypes.c_char_p, llama_token_p, ctypes.c_size_t, ctypes.POINTER(ctypes.c_size_t)], ctypes.c_bool)
llama_load_session_file = _deprecated(llama_load_session_file, "llama_load_session_file", "use llama_state_load_file instead")
llama_state_save_file = _fn("llama_state_save_file", [llama_context_p_ctypes, ctypes.c_char_p, llama_token_p, ctypes.c_size_t], ctypes.c_bool)
llama_save_session_file = _fn("llama_save_session_file", [llama_context_p_ctypes, ctypes.c_char_p, llama_token_p, ctypes.c_size_t], ctypes.c_bool)
llama_save_session_file = _deprecated(llama_save_session_file, "llama_save_session_file", "use llama_state_save_file instead")
llama_state_seq_save_file = _fn("llama_state_seq_save_file", [llama_context_p_ctypes, ctypes.c_char_p, llama_seq_id, llama_token_p, ctypes.c_size_t], ctypes.c_size_t)
llama_state_seq_load_file = _fn("llama_state_seq_load_file", [llama_context_p_ctypes, ctypes.c_char_p, llama_seq_id, llama_token_p, ctypes.c_size_t, ctypes.POINTER(ctypes.c_size_t)], ctypes.c_size_t)
LLAMA_STATE_SEQ_FLAGS_NONE = 0
LLAMA_STATE_SEQ_FLAGS_SWA_ONLY = 1
LLAMA_STATE_SEQ_FLAGS_PARTIAL_ONLY = 1
LLAMA_STATE_SEQ_FLAGS_ON_DEVICE = 2
llama_state_seq_get_size_ext = _fn("llama_state_seq_get_size_ext", [llama_context_p_ctypes, llama_seq_id, llama_state_seq_flags], ctypes.c_size_t)
llama_state_seq_get_data_ext = _fn("llama_state_seq_get_data_ext", [llama_context_p_ctypes, ctypes.POINTER(ctypes.c_uint8), ctypes.c_size_t, llama_seq_id, llama_state_seq_flags], ctypes.c_size_t)
llama_state_seq_set_data_ext = _fn("llama_state_seq_set_data_ext", [llama_context_p_ctypes, ctypes.POINTER(ctypes.c_uint8), ctypes.c_size_t, llama_seq_id, llama_state_seq_flags], ctypes.c_size_t)
llama_batch_ext_p = NewType("llama_batch_ext_p", int)
llama_batch_ext_p_ctypes = ctypes.c_void_p
class llama_embd(ctypes.Structure):
    """llama.h's ``llama_embd``."""
    _fields_ = [("data", ctypes.POINTER(ctypes.c_float)), ("n_rows", ctypes.c_size_t), ("n_embd", ctypes.c_size_t)]

llama_batch_ext_init = _fn("llama_batch_ext_init", [llama_context_p_ctypes], llama_batch_ext_p_ctypes)
llama_batch_ext_free = _fn("llama_batch_ext_free", [llama_batch_ext_p_ctypes], None)
llama_batch_ext_clear = _fn("llama_batch_ext_clear", [llama_batch_ext_p_ctypes], None)
llama_batch_ext_add = _fn("llama_batch_ext_add", [llama_batch_ext_p_ctypes, llama_seq_id], ctypes.c_int32)
llama_batch_ext_add_token = _fn("llama_batch_ext_add_token", [llama_batch_ext_p_ctypes, llama_seq_id, llama_token], ctypes.c_int32)
llama_batch_ext_add_embd = _fn("llama_batch_ext_add_embd", [llama_batch_ext_p_ctypes, llama_seq_id, llama_embd], ctypes.c_int32)
llama_batch_ext_add_seq = _fn("llama_batch_ext_add_seq", [llama_batch_ext_p_ctypes, ctypes.c_int32, llama_seq_id], ctypes.c_bool)
llama_batch_ext_set_embd_token = _fn("llama_batch_ext_set_embd_token", [llama_batch_ext_p_ctypes, ctypes.c_int32, llama_embd], ctypes.c_bool)
llama_batch_ext_set_embd_state = _fn("llama_batch_ext_set_embd_state", [llama_batch_ext_p_ctypes, ctypes.c_int32, llama_embd], ctypes.c_bool)
llama_batch_ext_set_output_embd = _fn("llama_batch_ext_set_output_embd", [llama_batch_ext_p_ctypes, ctypes.c_int32, ctypes.c_bool], ctypes.c_bool)
llama_batch_ext_set_output_logits = _fn("llama_batch_ext_set_output_logits", [llama_batch_ext_p_ctypes, ctypes.c_int32, ctypes.c_bool], ctypes.c_bool)
llama_batch_ext_set_pos = _fn("llama_batch_ext_set_pos", [llama_batch_ext_p_ctypes, ctypes.c_int32, ctypes.POINTER(llama_pos)], ctypes.c_bool)
llama_process = _fn("llama_process", [llama_context_p_ctypes, ctypes.c_int, llama_batch_ext_p_ctypes], ctypes.c_int32)
llama_n_threads = _fn("llama_n_threads", [llama_context_p_ctypes], ctypes.c_int32)
llama_n_threads_batch = _fn("llama_n_threads_batch", [llama_context_p_ctypes], ctypes.c_int32)
llama_get_causal_attn = _fn("llama_get_causal_attn", [llama_context_p_ctypes], ctypes.c_bool)
llama_set_warmup = _fn("llama_set_warmup", [llama_context_p_ctypes, ctypes.c_bool], None)
llama_set_abort_callback = _fn("llama_set_abort_callback", [llama_context_p_ctypes, ggml_abort_callback, ctypes.c_void_p], None)
llama_get_sampled_token_ith = _fn("llama_get_sampled_token_ith", [llama_context_p_ctypes, ctypes.c_int32], llama_token)
llama_get_sampled_probs_ith = _fn("llama_get_sampled_probs_ith", [llama_context_p_ctypes, ctypes.c_int32], ctypes.POINTER(ctypes.c_float))
llama_get_sampled_probs_count_ith = _fn("llama_get_sampled_probs_count_ith", [llama_context_p_ctypes, ctypes.c_int32], ctypes.c_uint32)
llama_get_sampled_logits_ith = _fn("llama_get_sampled_logits_ith", [llama_context_p_ctypes, ctypes.c_int32], ctypes.POINTER(ctypes.c_float))
llama_get_sampled_logits_count_ith = _fn("llama_get_sampled_logits_count_ith", [llama_context_p_ctypes, ctypes.c_int32], ctypes.c_uint32)
llama_get_sampled_candidates_ith = _fn("llama_get_sampled_candidates_ith", [llama_context_p_ctypes, ctypes.c_int32], ctypes.POINTER(llama_token))
llama_get_sampled_candidates_count_ith = _fn("llama_get_sampled_candidates_count_ith", [llama_context_p_ctypes, ctypes.c_int32], ctypes.c_uint32)
llama_vocab_get_attr = _fn("llama_vocab_get_attr", [llama_vocab_p_ctypes, llama_token], ctypes.c_int)
llama_vocab_mask = _fn("llama_vocab_mask", [llama_vocab_p_ctypes], llama_token)
llama_vocab_get_add_sep = _fn("llama_vocab_get_add_sep", [llama_vocab_p_ctypes], ctypes.c_bool)
llama_vocab_get_suppress_tokens = _fn("llama_vocab_get_suppress_tokens", [llama_vocab_p_ctypes, ctypes.POINTER(ctypes.c_int32)], ctypes.POINTER(llama_token))
llama_vocab_fim_pad = _fn("llama_vocab_fim_pad", [llama_vocab_p_ctypes], llama_token)
llama_vocab_fim_rep = _fn("llama_vocab_fim_rep", [llama_vocab_p_ctypes], llama_token)
llama_vocab_fim_sep = _fn("llama_vocab_fim_sep", [llama_vocab_p_ctypes], llama_token)
llama_token_get_text = _fn("llama_token_get_text", [llama_vocab_p_ctypes, llama_token], ctypes.c_char_p)
llama_token_get_text = _deprecated(llama_token_get_text, "llama_token_get_text", "use llama_vocab_get_text instead")
llama_token_get_score = _fn("llama_token_get_score", [llama_vocab_p_ctypes, llama_token], ctypes.c_float)
llama_token_get_score = _deprecated(llama_token_get_score, "llama_token_get_score", "use llama_vocab_get_score instead")
llama_token_get_attr = _fn("llama_token_get_attr", [llama_vocab_p_ctypes, llama_token], ctypes.c_int)
llama_token_get_attr = _deprecated(llama_token_get_attr, "llama_token_get_attr", "use llama_vocab_get_attr instead")
llama_token_is_eog = _fn("llama_token_is_eog", [llama_vocab_p_ctypes, llama_token], ctypes.c_bool)
llama_token_is_eog = _deprecated(llama_token_is_eog, "llama_token_is_eog", "use llama_vocab_is_eog instead")
llama_token_is_control = _fn("llama_token_is_control", [llama_vocab_p_ctypes, llama_token], ctypes.c_bool)
llama_token_is_control = _deprecated(llama_token_is_control, "llama_token_is_control", "use llama_vocab_is_control instead")
llama_token_bos = _fn("llama_token_bos", [llama_vocab_p_ctypes], llama_token)
llama_token_bos = _deprecated(llama_token_bos, "llama_token_bos", "use llama_vocab_bos instead")
llama_token_eos = _fn("llama_token_eos", [llama_vocab_p_ctypes], llama_token)
llama_token_eos = _deprecated(llama_token_eos, "llama_token_eos", "use llama_vocab_eos instead")
llama_token_eot = _fn("llama_token_eot", [llama_vocab_p_ctypes], llama_token)
llama_token_eot = _deprecated(llama_token_eot, "llama_token_eot", "use llama_vocab_eot instead")
llama_token_cls = _fn("llama_token_cls", [llama_vocab_p_ctypes], llama_token)
llama_token_cls = _deprecated(llama_token_cls, "llama_token_cls", "use llama_vocab_cls instead")
llama_token_sep = _fn("llama_token_sep", [llama_vocab_p_ctypes], llama_token)
llama_token_sep = _deprecated(llama_token_sep, "llama_token_sep", "use llama_vocab_sep instead")
llama_token_nl = _fn("llama_token_nl", [llama_vocab_p_ctypes], llama_token)
llama_token_nl = _deprecated(llama_token_nl, "llama_token_nl", "use llama_vocab_nl instead")
llama_token_pad = _fn("llama_token_pad", [llama_vocab_p_ctypes], llama_token)
llama_token_pad = _deprecated(llama_token_pad, "llama_token_pad", "use llama_vocab_pad instead")
llama_add_bos_token = _fn("llama_add_bos_token", [llama_vocab_p_ctypes], ctypes.c_bool)
llama_add_bos_token = _deprecated(llama_add_bos_token, "llama_add_bos_token", "use llama_vocab_get_add_bos instead")
llama_add_eos_token = _fn("llama_add_eos_token", [llama_vocab_p_ctypes], ctypes.c_bool)
llama_add_eos_token = _deprecated(llama_add_eos_token, "llama_add_eos_token", "use llama_vocab_get_add_eos instead")
llama_token_fim_pre = _fn("llama_token_fim_pre", [llama_vocab_p_ctypes], llama_token)
llama_token_fim_pre = _deprecated(llama_token_fim_pre, "llama_token_fim_pre", "use llama_vocab_fim_pre instead")
llama_token_fim_suf = _fn("llama_token_fim_suf", [llama_vocab_p_ctypes], llama_token)
llama_token_fim_suf = _deprecated(llama_token_fim_suf, "llama_token_fim_suf", "use llama_vocab_fim_suf instead")
llama_token_fim_mid = _fn("llama_token_fim_mid", [llama_vocab_p_ctypes], llama_token)
llama_token_fim_mid = _deprecated(llama_token_fim_mid, "llama_token_fim_mid", "use llama_vocab_fim_mid instead")
llama_token_fim_pad = _fn("llama_token_fim_pad", [llama_vocab_p_ctypes], llama_token)
llama_token_fim_pad = _deprecated(llama_token_fim_pad, "llama_token_fim_pad", "use llama_vocab_fim_pad instead")
llama_token_fim_rep = _fn("llama_token_fim_rep", [llama_vocab_p_ctypes], llama_token)
llama_token_fim_rep = _deprecated(llama_token_fim_rep, "llama_token_fim_rep", "use llama_vocab_fim_rep instead")
llama_token_fim_sep = _fn("llama_token_fim_sep", [llama_vocab_p_ctypes], llama_token)
llama_token_fim_sep = _deprecated(llama_token_fim_sep, "llama_token_fim_sep", "use llama_vocab_fim_sep instead")
llama_vocab_cls = _fn("llama_vocab_cls", [llama_vocab_p_ctypes], llama_token)
llama_vocab_cls = _deprecated(llama_vocab_cls, "llama_vocab_cls", "use llama_vocab_bos instead")
llama_chat_apply_template = _fn("llama_chat_apply_template", [ctypes.c_char_p, ctypes.POINTER(llama_chat_message), ctypes.c_size_t, ctypes.c_bool, ctypes.c_char_p, ctypes.c_int32], ctypes.c_int32)
llama_chat_builtin_templates = _fn("llama_chat_builtin_templates", [ctypes.POINTER(ctypes.c_char_p), ctypes.c_size_t], ctypes.c_int32)
llama_sampler_context_t = ctypes.c_void_p
class llama_sampler_data(ctypes.Structure):
    """llama.h's ``llama_sampler_data``."""
    _fields_ = [("logits", ctypes.c_void_p), ("probs", ctypes.c_void_p), ("sampled", ctypes.c_void_p), ("candidates", ctypes.c_void_p)]

class llama_sampler_i(ctypes.Structure):
    """llama.h's ``llama_sampler_i``."""

class llama_sampler(ctypes.Structure):
    """llama.h's ``llama_sampler``."""
    _fields_ = [("iface", ctypes.POINTER(llama_sampler_i)), ("ctx", llama_sampler_context_t)]

llama_sampler_p_ctypes = ctypes.c_void_p
llama_sampler_i_name = ctypes.CFUNCTYPE(ctypes.c_char_p, llama_sampler_p_ctypes)
llama_sampler_i_accept = ctypes.CFUNCTYPE(None, llama_sampler_p_ctypes, llama_token)
llama_sampler_i_apply = ctypes.CFUNCTYPE(None, llama_sampler_p_ctypes, llama_token_data_array_p)
llama_sampler_i_reset = ctypes.CFUNCTYPE(None, llama_sampler_p_ctypes)
llama_sampler_i_clone = ctypes.CFUNCTYPE(llama_sampler_p_ctypes, llama_sampler_p_ctypes)
llama_sampler_i_free = ctypes.CFUNCTYPE(None, llama_sampler_p_ctypes)
llama_sampler_i_backend_init = ctypes.CFUNCTYPE(ctypes.c_bool, llama_sampler_p_ctypes, ctypes.c_void_p, ctypes.c_uint32)
llama_sampler_i_backend_accept = ctypes.CFUNCTYPE(None, llama_sampler_p_ctypes, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p)
llama_sampler_i_backend_apply = ctypes.CFUNCTYPE(None, llama_sampler_p_ctypes, ctypes.c_void_p, ctypes.c_void_p, ctypes.POINTER(llama_sampler_data))
llama_sampler_i_backend_set_input = ctypes.CFUNCTYPE(None, llama_sampler_p_ctypes)
llama_sampler_i_backend_reset = ctypes.CFUNCTYPE(None, llama_sampler_p_ctypes)
llama_sampler_i_copy_state = ctypes.CFUNCTYPE(None, llama_sampler_p_ctypes, llama_sampler_p_ctypes)
llama_sampler_i._fields_ = [("name", llama_sampler_i_name), ("accept", llama_sampler_i_accept), ("apply", llama_sampler_i_apply), ("reset", llama_sampler_i_reset), ("clone", llama_sampler_i_clone), ("free", llama_sampler_i_free), ("backend_init", llama_sampler_i_backend_init), ("backend_accept", llama_sampler_i_backend_accept), ("backend_apply", llama_sampler_i_backend_apply), ("backend_set_input", llama_sampler_i_backend_set_input), ("backend_reset", llama_sampler_i_backend_reset), ("copy_state", llama_sampler_i_copy_state)]
llama_set_sampler = _fn("llama_set_sampler", [llama_context_p_ctypes, llama_seq_id, llama_sampler_p_ctypes], ctypes.c_bool)
llama_sampler_init = _fn("llama_sampler_init", [ctypes.POINTER(llama_sampler_i), llama_sampler_context_t], llama_sampler_p_ctypes)
llama_sampler_clone = _fn("llama_sampler_clone", [llama_sampler_p_ctypes], llama_sampler_p_ctypes)
llama_sampler_copy = _fn("llama_sampler_copy", [llama_sampler_p_ctypes, llama_sampler_p_ctypes], None)
llama_sampler_chain_get = _fn("llama_sampler_chain_get", [llama_sampler_p_ctypes, ctypes.c_int32], llama_sampler_p_ctypes)
llama_sampler_chain_remove = _fn("llama_sampler_chain_remove", [llama_sampler_p_ctypes, ctypes.c_int32], llama_sampler_p_ctypes)
llama_sampler_init_xtc = _fn("llama_sampler_init_xtc", [ctypes.c_float, ctypes.c_float, ctypes.c_size_t, ctypes.c_uint32], llama_sampler_p_ctypes)
llama_sampler_init_top_n_sigma = _fn("llama_sampler_init_top_n_sigma", [ctypes.c_float], llama_sampler_p_ctypes)
llama_sampler_init_grammar_lazy = _fn("llama_sampler_init_grammar_lazy", [llama_vocab_p_ctypes, ctypes.c_char_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_char_p), ctypes.c_size_t, ctypes.POINTER(llama_token), ctypes.c_size_t], llama_sampler_p_ctypes)
llama_sampler_init_grammar_lazy = _deprecated(llama_sampler_init_grammar_lazy, "llama_sampler_init_grammar_lazy", "use llama_sampler_init_grammar_lazy_patterns instead")
llama_sampler_init_grammar_lazy_patterns = _fn("llama_sampler_init_grammar_lazy_patterns", [llama_vocab_p_ctypes, ctypes.c_char_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_char_p), ctypes.c_size_t, ctypes.POINTER(llama_token), ctypes.c_size_t], llama_sampler_p_ctypes)
llama_sampler_init_dry = _fn("llama_sampler_init_dry", [llama_vocab_p_ctypes, ctypes.c_float, ctypes.c_float, ctypes.c_int32, ctypes.c_int32, ctypes.POINTER(ctypes.c_char_p), ctypes.c_size_t], llama_sampler_p_ctypes)
llama_sampler_init_adaptive_p = _fn("llama_sampler_init_adaptive_p", [ctypes.c_float, ctypes.c_float, ctypes.c_uint32], llama_sampler_p_ctypes)
llama_sampler_init_infill = _fn("llama_sampler_init_infill", [llama_vocab_p_ctypes], llama_sampler_p_ctypes)
llama_split_path = _fn("llama_split_path", [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_int, ctypes.c_int], ctypes.c_int)
llama_split_prefix = _fn("llama_split_prefix", [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_int, ctypes.c_int], ctypes.c_int)
llama_log_get = _fn("llama_log_get", [ctypes.POINTER(llama_log_callback), ctypes.POINTER(ctypes.c_void_p)], None)
llama_log_set = _fn("llama_log_set", [llama_log_callback, ctypes.c_void_p], None)
class llama_perf_context_data(ctypes.Structure):
    """llama.h's ``llama_perf_context_data``."""
    _fields_ = [("t_start_ms", ctypes.c_double), ("t_load_ms", ctypes.c_double), ("t_p_eval_ms", ctypes.c_double), ("t_eval_ms", ctypes.c_double), ("n_p_eval", ctypes.c_int32), ("n_eval", ctypes.c_int32), ("n_reused", ctypes.c_int32)]

class llama_perf_sampler_data(ctypes.Structure):
    """llama.h's ``llama_perf_sampler_data``."""
    _fields_ = [("t_sample_ms", ctypes.c_double), ("n_sample", ctypes.c_int32)]

llama_perf_context = _fn("llama_perf_context", [llama_context_p_ctypes], llama_perf_context_data)
llama_perf_context_print = _fn("llama_perf_context_print", [llama_context_p_ctypes], None)
llama_perf_context_reset = _fn("llama_perf_context_reset", [llama_context_p_ctypes], None)
llama_perf_sampler = _fn("llama_perf_sampler", [llama_sampler_p_ctypes], llama_perf_sampler_data)
llama_perf_sampler_print = _fn("llama_perf_sampler_print", [llama_sampler_p_ctypes], None)
llama_perf_sampler_reset = _fn("llama_perf_sampler_reset", [llama_sampler_p_ctypes], None)
llama_opt_param_filter = ctypes.CFUNCTYPE(ctypes.c_bool, ctypes.c_void_p, ctypes.c_void_p)
llama_opt_param_filter_all = _fn("llama_opt_param_filter_all", [ctypes.c_void_p, ctypes.c_void_p], ctypes.c_bool)
class llama_opt_params(ctypes.Structure):
    """llama.h's ``llama_opt_params``."""
    _fields_ = [("n_ctx_train", ctypes.c_uint32), ("param_filter", llama_opt_param_filter), ("param_filter_ud", ctypes.c_void_p), ("get_opt_pars", ctypes.c_void_p), ("get_opt_pars_ud", ctypes.c_void_p)]

llama_opt_init = _fn("llama_opt_init", [llama_context_p_ctypes, llama_model_p_ctypes, llama_opt_params], None)
llama_opt_epoch = _fn("llama_opt_epoch", [llama_context_p_ctypes, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64, ctypes.c_void_p, ctypes.c_void_p], None)

__all__ = [
    "GGML_NUMA_STRATEGY_COUNT",
    "GGML_ROPE_TYPE_IMROPE",
    "GGML_ROPE_TYPE_MROPE",
    "GGML_ROPE_TYPE_NEOX",
    "GGML_ROPE_TYPE_VISION",
    "GGML_TYPE_NVFP4",
    "GGML_TYPE_Q1_0",
    "GGML_TYPE_Q2_0",
    "LLAMA_CONTEXT_TYPE_DEFAULT",
    "LLAMA_CONTEXT_TYPE_MTP",
    "LLAMA_FILE_MAGIC_GGLA",
    "LLAMA_FILE_MAGIC_GGSN",
    "LLAMA_FILE_MAGIC_GGSQ",
    "LLAMA_FLASH_ATTN_TYPE_AUTO",
    "LLAMA_FLASH_ATTN_TYPE_DISABLED",
    "LLAMA_FLASH_ATTN_TYPE_ENABLED",
    "LLAMA_FTYPE_ALL_F32",
    "LLAMA_FTYPE_GUESSED",
    "LLAMA_FTYPE_MOSTLY_BF16",
    "LLAMA_FTYPE_MOSTLY_F16",
    "LLAMA_FTYPE_MOSTLY_IQ1_M",
    "LLAMA_FTYPE_MOSTLY_IQ1_S",
    "LLAMA_FTYPE_MOSTLY_IQ2_M",
    "LLAMA_FTYPE_MOSTLY_IQ2_S",
    "LLAMA_FTYPE_MOSTLY_IQ2_XS",
    "LLAMA_FTYPE_MOSTLY_IQ2_XXS",
    "LLAMA_FTYPE_MOSTLY_IQ3_M",
    "LLAMA_FTYPE_MOSTLY_IQ3_S",
    "LLAMA_FTYPE_MOSTLY_IQ3_XS",
    "LLAMA_FTYPE_MOSTLY_IQ3_XXS",
    "LLAMA_FTYPE_MOSTLY_IQ4_NL",
    "LLAMA_FTYPE_MOSTLY_IQ4_XS",
    "LLAMA_FTYPE_MOSTLY_MXFP4_MOE",
    "LLAMA_FTYPE_MOSTLY_NVFP4",
    "LLAMA_FTYPE_MOSTLY_Q1_0",
    "LLAMA_FTYPE_MOSTLY_Q2_0",
    "LLAMA_FTYPE_MOSTLY_Q2_K",
    "LLAMA_FTYPE_MOSTLY_Q2_K_S",
    "LLAMA_FTYPE_MOSTLY_Q3_K_L",
    "LLAMA_FTYPE_MOSTLY_Q3_K_M",
    "LLAMA_FTYPE_MOSTLY_Q3_K_S",
    "LLAMA_FTYPE_MOSTLY_Q4_0",
    "LLAMA_FTYPE_MOSTLY_Q4_1",
    "LLAMA_FTYPE_MOSTLY_Q4_K_M",
    "LLAMA_FTYPE_MOSTLY_Q4_K_S",
    "LLAMA_FTYPE_MOSTLY_Q5_0",
    "LLAMA_FTYPE_MOSTLY_Q5_1",
    "LLAMA_FTYPE_MOSTLY_Q5_K_M",
    "LLAMA_FTYPE_MOSTLY_Q5_K_S",
    "LLAMA_FTYPE_MOSTLY_Q6_K",
    "LLAMA_FTYPE_MOSTLY_Q8_0",
    "LLAMA_FTYPE_MOSTLY_TQ1_0",
    "LLAMA_FTYPE_MOSTLY_TQ2_0",
    "LLAMA_KV_OVERRIDE_TYPE_BOOL",
    "LLAMA_KV_OVERRIDE_TYPE_FLOAT",
    "LLAMA_KV_OVERRIDE_TYPE_INT",
    "LLAMA_KV_OVERRIDE_TYPE_STR",
    "LLAMA_LAZY_MODE_AUTO",
    "LLAMA_LAZY_MODE_OFF",
    "LLAMA_LAZY_MODE_ON",
    "LLAMA_LOAD_MODE_AUTO",
    "LLAMA_LOAD_MODE_DIRECT_IO",
    "LLAMA_LOAD_MODE_MLOCK",
    "LLAMA_LOAD_MODE_MMAP",
    "LLAMA_LOAD_MODE_MMAP_MLOCK",
    "LLAMA_LOAD_MODE_NONE",
    "LLAMA_MAX_DEVICES",
    "LLAMA_MODEL_META_KEY_SAMPLING_MIN_P",
    "LLAMA_MODEL_META_KEY_SAMPLING_MIROSTAT",
    "LLAMA_MODEL_META_KEY_SAMPLING_MIROSTAT_ETA",
    "LLAMA_MODEL_META_KEY_SAMPLING_MIROSTAT_TAU",
    "LLAMA_MODEL_META_KEY_SAMPLING_PENALTY_LAST_N",
    "LLAMA_MODEL_META_KEY_SAMPLING_PENALTY_REPEAT",
    "LLAMA_MODEL_META_KEY_SAMPLING_SEQUENCE",
    "LLAMA_MODEL_META_KEY_SAMPLING_TEMP",
    "LLAMA_MODEL_META_KEY_SAMPLING_TOP_K",
    "LLAMA_MODEL_META_KEY_SAMPLING_TOP_P",
    "LLAMA_MODEL_META_KEY_SAMPLING_XTC_PROBABILITY",
    "LLAMA_MODEL_META_KEY_SAMPLING_XTC_THRESHOLD",
    "LLAMA_PROCESS_TYPE_DECODE",
    "LLAMA_PROCESS_TYPE_ENCODE",
    "LLAMA_ROPE_TYPE_IMROPE",
    "LLAMA_ROPE_TYPE_MROPE",
    "LLAMA_ROPE_TYPE_NEOX",
    "LLAMA_ROPE_TYPE_NONE",
    "LLAMA_ROPE_TYPE_NORM",
    "LLAMA_ROPE_TYPE_VISION",
    "LLAMA_SESSION_MAGIC",
    "LLAMA_SESSION_VERSION",
    "LLAMA_STATE_SEQ_FLAGS_NONE",
    "LLAMA_STATE_SEQ_FLAGS_ON_DEVICE",
    "LLAMA_STATE_SEQ_FLAGS_PARTIAL_ONLY",
    "LLAMA_STATE_SEQ_FLAGS_SWA_ONLY",
    "LLAMA_STATE_SEQ_MAGIC",
    "LLAMA_STATE_SEQ_VERSION",
    "LLAMA_TOKEN_ATTR_BYTE",
    "LLAMA_TOKEN_ATTR_CONTROL",
    "LLAMA_TOKEN_ATTR_LSTRIP",
    "LLAMA_TOKEN_ATTR_NORMAL",
    "LLAMA_TOKEN_ATTR_NORMALIZED",
    "LLAMA_TOKEN_ATTR_RSTRIP",
    "LLAMA_TOKEN_ATTR_SINGLE_WORD",
    "LLAMA_TOKEN_ATTR_UNDEFINED",
    "LLAMA_TOKEN_ATTR_UNKNOWN",
    "LLAMA_TOKEN_ATTR_UNUSED",
    "LLAMA_TOKEN_ATTR_USER_DEFINED",
    "LLAMA_TOKEN_TYPE_BYTE",
    "LLAMA_TOKEN_TYPE_CONTROL",
    "LLAMA_TOKEN_TYPE_NORMAL",
    "LLAMA_TOKEN_TYPE_UNDEFINED",
    "LLAMA_TOKEN_TYPE_UNKNOWN",
    "LLAMA_TOKEN_TYPE_UNUSED",
    "LLAMA_TOKEN_TYPE_USER_DEFINED",
    "LLAMA_VOCAB_PRE_TYPE_BAILINGMOE",
    "LLAMA_VOCAB_PRE_TYPE_BLOOM",
    "LLAMA_VOCAB_PRE_TYPE_CHAMELEON",
    "LLAMA_VOCAB_PRE_TYPE_CHATGLM3",
    "LLAMA_VOCAB_PRE_TYPE_CHATGLM4",
    "LLAMA_VOCAB_PRE_TYPE_CODESHELL",
    "LLAMA_VOCAB_PRE_TYPE_COMMAND_R",
    "LLAMA_VOCAB_PRE_TYPE_DBRX",
    "LLAMA_VOCAB_PRE_TYPE_DEEPSEEK3_LLM",
    "LLAMA_VOCAB_PRE_TYPE_DEEPSEEK_CODER",
    "LLAMA_VOCAB_PRE_TYPE_DEEPSEEK_LLM",
    "LLAMA_VOCAB_PRE_TYPE_DEFAULT",
    "LLAMA_VOCAB_PRE_TYPE_EXAONE",
    "LLAMA_VOCAB_PRE_TYPE_FALCON",
    "LLAMA_VOCAB_PRE_TYPE_GPT2",
    "LLAMA_VOCAB_PRE_TYPE_GPT3_FINNISH",
    "LLAMA_VOCAB_PRE_TYPE_GPT4O",
    "LLAMA_VOCAB_PRE_TYPE_JAIS",
    "LLAMA_VOCAB_PRE_TYPE_LLAMA3",
    "LLAMA_VOCAB_PRE_TYPE_LLAMA4",
    "LLAMA_VOCAB_PRE_TYPE_MINERVA",
    "LLAMA_VOCAB_PRE_TYPE_MPT",
    "LLAMA_VOCAB_PRE_TYPE_OLMO",
    "LLAMA_VOCAB_PRE_TYPE_PIXTRAL",
    "LLAMA_VOCAB_PRE_TYPE_PORO",
    "LLAMA_VOCAB_PRE_TYPE_QWEN2",
    "LLAMA_VOCAB_PRE_TYPE_REFACT",
    "LLAMA_VOCAB_PRE_TYPE_SEED_CODER",
    "LLAMA_VOCAB_PRE_TYPE_SMAUG",
    "LLAMA_VOCAB_PRE_TYPE_SMOLLM",
    "LLAMA_VOCAB_PRE_TYPE_STABLELM2",
    "LLAMA_VOCAB_PRE_TYPE_STARCODER",
    "LLAMA_VOCAB_PRE_TYPE_SUPERBPE",
    "LLAMA_VOCAB_PRE_TYPE_TEKKEN",
    "LLAMA_VOCAB_PRE_TYPE_TRILLION",
    "LLAMA_VOCAB_PRE_TYPE_VIKING",
    "LLAMA_VOCAB_TYPE_BPE",
    "LLAMA_VOCAB_TYPE_NONE",
    "LLAMA_VOCAB_TYPE_PLAMO2",
    "LLAMA_VOCAB_TYPE_RWKV",
    "LLAMA_VOCAB_TYPE_SPM",
    "LLAMA_VOCAB_TYPE_TEST",
    "LLAMA_VOCAB_TYPE_UGM",
    "LLAMA_VOCAB_TYPE_WPM",
    "ggml_abort_callback",
    "ggml_backend_sched_eval_callback",
    "gguf_context_p",
    "gguf_context_p_ctypes",
    "llama_adapter_get_alora_invocation_tokens",
    "llama_adapter_get_alora_n_invocation_tokens",
    "llama_adapter_lora_init_from_file_ptr",
    "llama_adapter_lora_p_ctypes",
    "llama_adapter_meta_count",
    "llama_adapter_meta_key_by_index",
    "llama_adapter_meta_val_str",
    "llama_adapter_meta_val_str_by_index",
    "llama_add_bos_token",
    "llama_add_eos_token",
    "llama_batch_ext_add",
    "llama_batch_ext_add_embd",
    "llama_batch_ext_add_seq",
    "llama_batch_ext_add_token",
    "llama_batch_ext_clear",
    "llama_batch_ext_free",
    "llama_batch_ext_init",
    "llama_batch_ext_p",
    "llama_batch_ext_p_ctypes",
    "llama_batch_ext_set_embd_state",
    "llama_batch_ext_set_embd_token",
    "llama_batch_ext_set_output_embd",
    "llama_batch_ext_set_output_logits",
    "llama_batch_ext_set_pos",
    "llama_chat_apply_template",
    "llama_chat_builtin_templates",
    "llama_chat_message",
    "llama_context_p_ctypes",
    "llama_copy_state_data",
    "llama_embd",
    "llama_flash_attn_type_name",
    "llama_free_model",
    "llama_ftype_name",
    "llama_get_causal_attn",
    "llama_get_sampled_candidates_count_ith",
    "llama_get_sampled_candidates_ith",
    "llama_get_sampled_logits_count_ith",
    "llama_get_sampled_logits_ith",
    "llama_get_sampled_probs_count_ith",
    "llama_get_sampled_probs_ith",
    "llama_get_sampled_token_ith",
    "llama_get_state_size",
    "llama_kv_cache_p",
    "llama_kv_cache_p_ctypes",
    "llama_load_mode_from_str",
    "llama_load_mode_name",
    "llama_load_model_from_file",
    "llama_load_session_file",
    "llama_log_callback",
    "llama_log_get",
    "llama_log_set",
    "llama_logit_bias_p",
    "llama_max_parallel_sequences",
    "llama_max_tensor_buft_overrides",
    "llama_memory_can_shift",
    "llama_memory_seq_div",
    "llama_memory_t_ctypes",
    "llama_model_cls_label",
    "llama_model_decoder_start_token",
    "llama_model_ftype",
    "llama_model_imatrix_data",
    "llama_model_init_from_user",
    "llama_model_is_diffusion",
    "llama_model_is_hybrid",
    "llama_model_is_recurrent",
    "llama_model_kv_override",
    "llama_model_kv_override_value",
    "llama_model_load_from_file_ptr",
    "llama_model_load_from_splits",
    "llama_model_meta_key_by_index",
    "llama_model_meta_key_str",
    "llama_model_meta_val_str_by_index",
    "llama_model_n_cls_out",
    "llama_model_n_embd_inp",
    "llama_model_n_embd_out",
    "llama_model_n_head_kv",
    "llama_model_n_layer_nextn",
    "llama_model_n_swa",
    "llama_model_p_ctypes",
    "llama_model_quantize",
    "llama_model_quantize_default_params",
    "llama_model_quantize_params",
    "llama_model_rope_freq_scale_train",
    "llama_model_rope_type",
    "llama_model_save_to_file",
    "llama_model_set_tensor_data_t",
    "llama_model_tensor_override",
    "llama_n_ctx_seq",
    "llama_n_ctx_train",
    "llama_n_embd",
    "llama_n_head",
    "llama_n_layer",
    "llama_n_rs_seq",
    "llama_n_threads",
    "llama_n_threads_batch",
    "llama_n_vocab",
    "llama_new_context_with_model",
    "llama_opt_epoch",
    "llama_opt_init",
    "llama_opt_param_filter",
    "llama_opt_param_filter_all",
    "llama_opt_params",
    "llama_perf_context",
    "llama_perf_context_data",
    "llama_perf_context_print",
    "llama_perf_context_reset",
    "llama_perf_sampler",
    "llama_perf_sampler_data",
    "llama_perf_sampler_print",
    "llama_perf_sampler_reset",
    "llama_process",
    "llama_sampler",
    "llama_sampler_chain_get",
    "llama_sampler_chain_remove",
    "llama_sampler_clone",
    "llama_sampler_context_t",
    "llama_sampler_copy",
    "llama_sampler_data",
    "llama_sampler_i",
    "llama_sampler_i_accept",
    "llama_sampler_i_apply",
    "llama_sampler_i_backend_accept",
    "llama_sampler_i_backend_apply",
    "llama_sampler_i_backend_init",
    "llama_sampler_i_backend_reset",
    "llama_sampler_i_backend_set_input",
    "llama_sampler_i_clone",
    "llama_sampler_i_copy_state",
    "llama_sampler_i_free",
    "llama_sampler_i_name",
    "llama_sampler_i_reset",
    "llama_sampler_init",
    "llama_sampler_init_adaptive_p",
    "llama_sampler_init_dry",
    "llama_sampler_init_grammar_lazy",
    "llama_sampler_init_grammar_lazy_patterns",
    "llama_sampler_init_infill",
    "llama_sampler_init_top_n_sigma",
    "llama_sampler_init_xtc",
    "llama_sampler_p_ctypes",
    "llama_sampler_seq_config",
    "llama_save_session_file",
    "llama_set_abort_callback",
    "llama_set_adapter_cvec",
    "llama_set_sampler",
    "llama_set_state_data",
    "llama_set_warmup",
    "llama_split_path",
    "llama_split_prefix",
    "llama_state_load_file",
    "llama_state_save_file",
    "llama_state_seq_flags",
    "llama_state_seq_get_data_ext",
    "llama_state_seq_get_size_ext",
    "llama_state_seq_load_file",
    "llama_state_seq_save_file",
    "llama_state_seq_set_data_ext",
    "llama_supports_rpc",
    "llama_time_us",
    "llama_token_bos",
    "llama_token_cls",
    "llama_token_eos",
    "llama_token_eot",
    "llama_token_fim_mid",
    "llama_token_fim_pad",
    "llama_token_fim_pre",
    "llama_token_fim_rep",
    "llama_token_fim_sep",
    "llama_token_fim_suf",
    "llama_token_get_attr",
    "llama_token_get_score",
    "llama_token_get_text",
    "llama_token_is_control",
    "llama_token_is_eog",
    "llama_token_nl",
    "llama_token_pad",
    "llama_token_sep",
    "llama_version",
    "llama_vocab_cls",
    "llama_vocab_fim_pad",
    "llama_vocab_fim_rep",
    "llama_vocab_fim_sep",
    "llama_vocab_get_add_sep",
    "llama_vocab_get_attr",
    "llama_vocab_get_suppress_tokens",
    "llama_vocab_mask",
    "llama_vocab_p_ctypes",
    "llama_vocab_type",
]
