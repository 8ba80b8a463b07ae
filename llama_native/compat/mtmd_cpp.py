"""llama-cpp-python's ``llama_cpp.mtmd_cpp``: libmtmd (multimodal) as ctypes functions. GENERATED: do not edit.

Written by ``scripts/gen_llama_h_bindings.py`` from llama-cpp-python 0.3.36's
``llama_cpp/mtmd_cpp.py`` (MIT License, Copyright (c) 2023 Andrei Betlen; its
signatures and struct fields are reused here).  The functions are libmtmd's,
called in llama_native's compiled extension (which links libmtmd and exports
its symbols); one it does not export raises ``NotImplementedError`` naming it.

Example::

    >>> import llama_native.mtmd_cpp as mtmd_cpp
    >>> mtmd_cpp.mtmd_default_marker()
    b'<__media__>'
"""

# ruff: noqa: E501, F405
from __future__ import annotations

import ctypes
import warnings
from ctypes import (
    CFUNCTYPE,
    POINTER,
    Structure,
    c_bool,
    c_char,
    c_char_p,
    c_float,
    c_int,
    c_int32,
    c_int64,
    c_size_t,
    c_uint8,
    c_uint32,
    c_void_p,
)
from typing import Any, NewType

from . import llama_cpp
from ._llama_h import _fn

mtmd_context_p = NewType("mtmd_context_p", int)
mtmd_context_p_ctypes = ctypes.c_void_p
mtmd_bitmap_p = NewType("mtmd_bitmap_p", int)
mtmd_bitmap_p_ctypes = ctypes.c_void_p
mtmd_helper_video_p = NewType("mtmd_helper_video_p", int)
mtmd_helper_video_p_ctypes = ctypes.c_void_p
mtmd_helper_gen_audio_p = NewType("mtmd_helper_gen_audio_p", int)
mtmd_helper_gen_audio_p_ctypes = ctypes.c_void_p
mtmd_image_tokens_p = NewType("mtmd_image_tokens_p", int)
mtmd_image_tokens_p_ctypes = ctypes.c_void_p
mtmd_input_chunk_p = NewType("mtmd_input_chunk_p", int)
mtmd_input_chunk_p_ctypes = ctypes.c_void_p
mtmd_input_chunks_p = NewType("mtmd_input_chunks_p", int)
mtmd_input_chunks_p_ctypes = ctypes.c_void_p
mtmd_batch_p = NewType("mtmd_batch_p", int)
mtmd_batch_p_ctypes = ctypes.c_void_p
MTMD_INPUT_CHUNK_TYPE_TEXT = 0
MTMD_INPUT_CHUNK_TYPE_IMAGE = 1
MTMD_INPUT_CHUNK_TYPE_AUDIO = 2
MTMD_INPUT_CHUNK_TYPE_COUNT = 3
MTMD_GEN_AUDIO_TYPE_NONE = 0
MTMD_GEN_AUDIO_TYPE_QWEN3TTS = 1
MTMD_GEN_AUDIO_TYPE_POCKETTTS = 2
MTMD_GEN_PROCESS_TYPE_GEN_CODE = 0
MTMD_GEN_PROCESS_TYPE_GEN_WAV = 1
MTMD_HELPER_GEN_AUDIO_OUTTYPE_PCM = 0
MTMD_HELPER_GEN_AUDIO_OUTTYPE_WAV = 1
mtmd_progress_callback = CFUNCTYPE(c_bool, c_float, c_void_p)
class mtmd_context_params(Structure):
    """Context parameters for MTMD initialization."""
    _fields_ = [("use_gpu", c_bool), ("device", c_void_p), ("print_timings", c_bool), ("n_threads", c_int), ("image_marker", c_char_p), ("media_marker", c_char_p), ("flash_attn_type", c_int), ("warmup", c_bool), ("image_min_tokens", c_int), ("image_max_tokens", c_int), ("cb_eval", llama_cpp.ggml_backend_sched_eval_callback), ("cb_eval_user_data", c_void_p), ("batch_max_tokens", c_int), ("progress_callback", mtmd_progress_callback), ("progress_callback_user_data", c_void_p)]

class mtmd_input_text(Structure):
    """Text input passed to `mtmd_tokenize`."""
    _fields_ = [("text", c_char_p), ("text_len", c_size_t), ("add_special", c_bool), ("parse_special", c_bool)]

class mtmd_input_part(Structure):
    """An input part with only text or bitmap set, not both."""
    _fields_ = [("text", POINTER(mtmd_input_text)), ("bitmap", mtmd_bitmap_p_ctypes)]

class mtmd_decoder_pos(Structure):
    """Decoder attention position for M-RoPE models."""
    _fields_ = [("t", c_uint32), ("x", c_uint32), ("y", c_uint32), ("z", c_uint32)]

class mtmd_caps(Structure):
    """Capabilities exposed by an mmproj file."""
    _fields_ = [("inp_vision", c_bool), ("inp_audio", c_bool)]

class mtmd_gen_audio_info(Structure):
    """llama.h's ``mtmd_gen_audio_info``."""
    _fields_ = [("type", c_int), ("sample_rate", c_int32), ("model_variant", c_char_p)]

class mtmd_gen_inp(Structure):
    """llama.h's ``mtmd_gen_inp``."""
    _fields_ = [("type", c_int), ("code0", c_int32), ("embd", POINTER(c_float)), ("top_k", c_int32), ("top_p", c_float), ("seed", c_uint32), ("temp", c_float), ("codes", POINTER(c_int32)), ("n_codes", c_size_t), ("feats", POINTER(c_float)), ("n_feats", c_size_t), ("state_data", POINTER(c_char)), ("state_size", c_size_t)]

class mtmd_gen_out(Structure):
    """llama.h's ``mtmd_gen_out``."""
    _fields_ = [("codes", POINTER(c_int32)), ("n_codes", c_size_t), ("feats", POINTER(c_float)), ("n_feats", c_size_t), ("embd", POINTER(c_float)), ("is_eos", c_bool), ("audio", POINTER(c_float)), ("n_samples", c_size_t), ("state_data", POINTER(c_char)), ("state_size", c_size_t)]

mtmd_bitmap_lazy_callback = CFUNCTYPE(c_int, c_size_t, c_void_p, POINTER(mtmd_bitmap_p_ctypes), POINTER(c_char_p))
class mtmd_helper_embd_batch(Structure):
    """One decoded sub-batch of embeddings, passed to mtmd_helper_post_decode_callback."""
    _fields_ = [("n_tokens", c_int32), ("embd", POINTER(c_float)), ("n_embd", c_int32), ("pos", POINTER(llama_cpp.llama_pos)), ("n_pos", c_int32), ("seq_id", llama_cpp.llama_seq_id)]

mtmd_helper_post_decode_callback = CFUNCTYPE(c_int32, POINTER(mtmd_helper_embd_batch), c_void_p)
class mtmd_helper_bitmap_wrapper(Structure):
    """Bitmap wrapper returned by MTMD helper media loaders."""
    _fields_ = [("bitmap", mtmd_bitmap_p_ctypes), ("video_ctx", mtmd_helper_video_p_ctypes)]

class mtmd_helper_video_info(Structure):
    """Metadata for a decoded video stream."""
    _fields_ = [("width", c_uint32), ("height", c_uint32), ("fps", c_float), ("n_frames", c_int)]

class mtmd_helper_video_init_params(Structure):
    """Parameters for initializing an MTMD helper video stream."""
    _fields_ = [("fps_target", c_float), ("ffmpeg_bin_dir", c_char_p), ("timestamp_interval_ms", c_int64)]

class mtmd_helper_init_opt(Structure):
    """llama.h's ``mtmd_helper_init_opt``."""
    _fields_ = [("video_params", mtmd_helper_video_init_params)]

class mtmd_helper_gen_audio_inp(Structure):
    """llama.h's ``mtmd_helper_gen_audio_inp``."""
    _fields_ = [("seq_id", llama_cpp.llama_seq_id), ("prompt", c_char_p), ("prompt_len", c_size_t), ("speaker_ref", mtmd_bitmap_p_ctypes), ("lang", c_char_p), ("top_k", c_int32), ("top_p", c_float), ("seed", c_uint32), ("out_type", c_int)]

mtmd_default_marker = _fn("mtmd_default_marker", [], c_char_p)
mtmd_context_params_default = _fn("mtmd_context_params_default", [], mtmd_context_params)
mtmd_init_from_file = _fn("mtmd_init_from_file", [c_char_p, llama_cpp.llama_model_p_ctypes, mtmd_context_params], mtmd_context_p_ctypes)
mtmd_free = _fn("mtmd_free", [mtmd_context_p_ctypes], None)
mtmd_decode_use_non_causal = _fn("mtmd_decode_use_non_causal", [mtmd_context_p_ctypes, mtmd_input_chunk_p_ctypes], c_bool)
mtmd_decode_use_mrope = _fn("mtmd_decode_use_mrope", [mtmd_context_p_ctypes], c_bool)
mtmd_support_vision = _fn("mtmd_support_vision", [mtmd_context_p_ctypes], c_bool)
mtmd_support_audio = _fn("mtmd_support_audio", [mtmd_context_p_ctypes], c_bool)
mtmd_get_audio_sample_rate = _fn("mtmd_get_audio_sample_rate", [mtmd_context_p_ctypes], c_int)
mtmd_get_marker = _fn("mtmd_get_marker", [mtmd_context_p_ctypes], c_char_p)
mtmd_bitmap_init = _fn("mtmd_bitmap_init", [c_uint32, c_uint32, POINTER(c_uint8)], mtmd_bitmap_p_ctypes)
mtmd_bitmap_init_from_audio = _fn("mtmd_bitmap_init_from_audio", [c_size_t, POINTER(c_float)], mtmd_bitmap_p_ctypes)
mtmd_bitmap_free = _fn("mtmd_bitmap_free", [mtmd_bitmap_p_ctypes], None)
mtmd_bitmap_get_nx = _fn("mtmd_bitmap_get_nx", [mtmd_bitmap_p_ctypes], c_uint32)
mtmd_bitmap_get_ny = _fn("mtmd_bitmap_get_ny", [mtmd_bitmap_p_ctypes], c_uint32)
mtmd_bitmap_get_data = _fn("mtmd_bitmap_get_data", [mtmd_bitmap_p_ctypes], POINTER(c_uint8))
mtmd_bitmap_get_n_bytes = _fn("mtmd_bitmap_get_n_bytes", [mtmd_bitmap_p_ctypes], c_size_t)
mtmd_bitmap_is_audio = _fn("mtmd_bitmap_is_audio", [mtmd_bitmap_p_ctypes], c_bool)
mtmd_bitmap_get_id = _fn("mtmd_bitmap_get_id", [mtmd_bitmap_p_ctypes], c_char_p)
mtmd_bitmap_set_id = _fn("mtmd_bitmap_set_id", [mtmd_bitmap_p_ctypes, c_char_p], None)
mtmd_bitmap_set_mergeable = _fn("mtmd_bitmap_set_mergeable", [mtmd_bitmap_p_ctypes, c_bool], None)
mtmd_bitmap_init_lazy = _fn("mtmd_bitmap_init_lazy", [mtmd_context_p_ctypes, c_char_p, c_void_p, mtmd_bitmap_lazy_callback], mtmd_bitmap_p_ctypes)
mtmd_input_chunks_init = _fn("mtmd_input_chunks_init", [], mtmd_input_chunks_p_ctypes)
mtmd_input_chunks_free = _fn("mtmd_input_chunks_free", [mtmd_input_chunks_p_ctypes], None)
mtmd_input_chunks_size = _fn("mtmd_input_chunks_size", [mtmd_input_chunks_p_ctypes], c_size_t)
mtmd_input_chunks_get = _fn("mtmd_input_chunks_get", [mtmd_input_chunks_p_ctypes, c_size_t], mtmd_input_chunk_p_ctypes)
mtmd_tokenize = _fn("mtmd_tokenize", [mtmd_context_p_ctypes, mtmd_input_chunks_p_ctypes, POINTER(mtmd_input_text), POINTER(mtmd_bitmap_p_ctypes), c_size_t], c_int)
mtmd_tokenize_from_parts = _fn("mtmd_tokenize_from_parts", [mtmd_context_p_ctypes, mtmd_input_chunks_p_ctypes, POINTER(POINTER(mtmd_input_part)), c_size_t, c_bool], c_int32)
mtmd_input_chunk_get_n_tokens = _fn("mtmd_input_chunk_get_n_tokens", [mtmd_input_chunk_p_ctypes], c_size_t)
mtmd_input_chunk_get_type = _fn("mtmd_input_chunk_get_type", [mtmd_input_chunk_p_ctypes], c_int)
mtmd_input_chunk_get_tokens_text = _fn("mtmd_input_chunk_get_tokens_text", [mtmd_input_chunk_p_ctypes, POINTER(c_size_t)], POINTER(llama_cpp.llama_token))
mtmd_input_chunk_get_tokens_image = _fn("mtmd_input_chunk_get_tokens_image", [mtmd_input_chunk_p_ctypes], mtmd_image_tokens_p_ctypes)
mtmd_input_chunk_get_id = _fn("mtmd_input_chunk_get_id", [mtmd_input_chunk_p_ctypes], c_char_p)
mtmd_input_chunk_get_n_pos = _fn("mtmd_input_chunk_get_n_pos", [mtmd_input_chunk_p_ctypes], llama_cpp.llama_pos)
mtmd_input_chunk_copy = _fn("mtmd_input_chunk_copy", [mtmd_input_chunk_p_ctypes], mtmd_input_chunk_p_ctypes)
mtmd_input_chunk_free = _fn("mtmd_input_chunk_free", [mtmd_input_chunk_p_ctypes], None)
mtmd_input_chunk_get_placeholder = _fn("mtmd_input_chunk_get_placeholder", [mtmd_input_chunk_p_ctypes], mtmd_input_chunk_p_ctypes)
mtmd_input_chunk_save = _fn("mtmd_input_chunk_save", [mtmd_input_chunk_p_ctypes, POINTER(c_char), c_size_t, POINTER(c_size_t)], c_int32)
mtmd_input_chunk_load = _fn("mtmd_input_chunk_load", [c_char_p, c_size_t], mtmd_input_chunk_p_ctypes)
mtmd_image_tokens_get_n_tokens = _fn("mtmd_image_tokens_get_n_tokens", [mtmd_image_tokens_p_ctypes], c_size_t)
mtmd_image_tokens_get_nx = _fn("mtmd_image_tokens_get_nx", [mtmd_image_tokens_p_ctypes], c_size_t)
mtmd_image_tokens_get_ny = _fn("mtmd_image_tokens_get_ny", [mtmd_image_tokens_p_ctypes], c_size_t)
mtmd_image_tokens_get_id = _fn("mtmd_image_tokens_get_id", [mtmd_image_tokens_p_ctypes], c_char_p)
mtmd_image_tokens_get_n_pos = _fn("mtmd_image_tokens_get_n_pos", [mtmd_image_tokens_p_ctypes], llama_cpp.llama_pos)
mtmd_image_tokens_get_decoder_pos = _fn("mtmd_image_tokens_get_decoder_pos", [mtmd_image_tokens_p_ctypes, llama_cpp.llama_pos, c_size_t], mtmd_decoder_pos)
mtmd_encode = _fn("mtmd_encode", [mtmd_context_p_ctypes, mtmd_image_tokens_p_ctypes], c_int)
mtmd_encode_chunk = _fn("mtmd_encode_chunk", [mtmd_context_p_ctypes, mtmd_input_chunk_p_ctypes], c_int)
mtmd_get_output_embd = _fn("mtmd_get_output_embd", [mtmd_context_p_ctypes], POINTER(c_float))
mtmd_batch_init = _fn("mtmd_batch_init", [mtmd_context_p_ctypes], mtmd_batch_p_ctypes)
mtmd_batch_free = _fn("mtmd_batch_free", [mtmd_batch_p_ctypes], None)
mtmd_batch_add_chunk = _fn("mtmd_batch_add_chunk", [mtmd_batch_p_ctypes, mtmd_input_chunk_p_ctypes], c_int)
mtmd_batch_encode = _fn("mtmd_batch_encode", [mtmd_batch_p_ctypes], c_int)
mtmd_batch_get_output_embd = _fn("mtmd_batch_get_output_embd", [mtmd_batch_p_ctypes, mtmd_input_chunk_p_ctypes], POINTER(c_float))
mtmd_get_cap_from_file = _fn("mtmd_get_cap_from_file", [c_char_p], mtmd_caps)
mtmd_gen_audio_get_info = _fn("mtmd_gen_audio_get_info", [mtmd_context_p_ctypes], mtmd_gen_audio_info)
mtmd_gen_inp_default = _fn("mtmd_gen_inp_default", [mtmd_context_p_ctypes], mtmd_gen_inp)
mtmd_gen_audio_process = _fn("mtmd_gen_audio_process", [mtmd_context_p_ctypes, POINTER(mtmd_gen_inp), POINTER(mtmd_gen_out)], c_int32)
mtmd_test_create_input_chunks = _fn("mtmd_test_create_input_chunks", [], mtmd_input_chunks_p_ctypes)
mtmd_helper_support_video = _fn("mtmd_helper_support_video", [mtmd_context_p_ctypes], c_bool)
mtmd_helper_init_opt_default = _fn("mtmd_helper_init_opt_default", [], mtmd_helper_init_opt)
mtmd_helper_bitmap_init_from_file_wrapper = _fn("mtmd_helper_bitmap_init_from_file", [mtmd_context_p_ctypes, c_char_p, c_bool, mtmd_helper_init_opt], mtmd_helper_bitmap_wrapper)
mtmd_helper_bitmap_init_from_buf_wrapper = _fn("mtmd_helper_bitmap_init_from_buf", [mtmd_context_p_ctypes, POINTER(c_uint8), c_size_t, c_bool, mtmd_helper_init_opt], mtmd_helper_bitmap_wrapper)
mtmd_helper_get_n_tokens = _fn("mtmd_helper_get_n_tokens", [mtmd_input_chunks_p_ctypes], c_size_t)
mtmd_helper_get_n_pos = _fn("mtmd_helper_get_n_pos", [mtmd_input_chunks_p_ctypes], llama_cpp.llama_pos)
mtmd_helper_image_get_decoder_pos = _fn("mtmd_helper_image_get_decoder_pos", [mtmd_image_tokens_p_ctypes, llama_cpp.llama_pos, POINTER(mtmd_decoder_pos)], None)
mtmd_helper_eval_chunks = _fn("mtmd_helper_eval_chunks", [mtmd_context_p_ctypes, llama_cpp.llama_context_p_ctypes, mtmd_input_chunks_p_ctypes, llama_cpp.llama_pos, llama_cpp.llama_seq_id, c_int, c_bool, POINTER(llama_cpp.llama_pos)], c_int)
mtmd_helper_eval_chunk_single = _fn("mtmd_helper_eval_chunk_single", [mtmd_context_p_ctypes, llama_cpp.llama_context_p_ctypes, mtmd_input_chunk_p_ctypes, llama_cpp.llama_pos, llama_cpp.llama_seq_id, c_int, c_bool, POINTER(llama_cpp.llama_pos)], c_int)
mtmd_helper_decode_image_chunk = _fn("mtmd_helper_decode_image_chunk", [mtmd_context_p_ctypes, llama_cpp.llama_context_p_ctypes, mtmd_input_chunk_p_ctypes, POINTER(c_float), llama_cpp.llama_pos, llama_cpp.llama_seq_id, c_int, POINTER(llama_cpp.llama_pos), mtmd_helper_post_decode_callback, c_void_p], c_int)
mtmd_helper_video_init_params_default = _fn("mtmd_helper_video_init_params_default", [], mtmd_helper_video_init_params)
mtmd_helper_video_init = _fn("mtmd_helper_video_init", [mtmd_context_p_ctypes, c_char_p, mtmd_helper_video_init_params], mtmd_helper_video_p_ctypes)
mtmd_helper_video_init_from_buf = _fn("mtmd_helper_video_init_from_buf", [mtmd_context_p_ctypes, POINTER(c_uint8), c_size_t, mtmd_helper_video_init_params], mtmd_helper_video_p_ctypes)
mtmd_helper_video_free = _fn("mtmd_helper_video_free", [mtmd_helper_video_p_ctypes], None)
mtmd_helper_video_get_info = _fn("mtmd_helper_video_get_info", [mtmd_helper_video_p_ctypes], mtmd_helper_video_info)
mtmd_helper_video_read_next = _fn("mtmd_helper_video_read_next", [mtmd_helper_video_p_ctypes, POINTER(mtmd_bitmap_p_ctypes), POINTER(c_char_p)], c_int)
mtmd_helper_model_can_chat = _fn("mtmd_helper_model_can_chat", [llama_cpp.llama_context_p_ctypes, mtmd_context_p_ctypes], c_bool)
mtmd_helper_gen_audio_init = _fn("mtmd_helper_gen_audio_init", [llama_cpp.llama_context_p_ctypes, mtmd_context_p_ctypes], mtmd_helper_gen_audio_p_ctypes)
mtmd_helper_gen_audio_free = _fn("mtmd_helper_gen_audio_free", [mtmd_helper_gen_audio_p_ctypes], None)
mtmd_helper_gen_audio_reset = _fn("mtmd_helper_gen_audio_reset", [mtmd_helper_gen_audio_p_ctypes], None)
mtmd_helper_gen_audio_set_input = _fn("mtmd_helper_gen_audio_set_input", [mtmd_helper_gen_audio_p_ctypes, POINTER(mtmd_helper_gen_audio_inp)], c_int32)
mtmd_helper_gen_audio_step_prompt = _fn("mtmd_helper_gen_audio_step_prompt", [mtmd_helper_gen_audio_p_ctypes, c_int32], c_int32)
mtmd_helper_gen_audio_step_gen = _fn("mtmd_helper_gen_audio_step_gen", [mtmd_helper_gen_audio_p_ctypes, llama_cpp.llama_token, POINTER(c_float), POINTER(POINTER(c_float)), POINTER(c_bool)], c_int32)
mtmd_helper_gen_audio_get_output = _fn("mtmd_helper_gen_audio_get_output", [mtmd_helper_gen_audio_p_ctypes, POINTER(c_int32), POINTER(POINTER(c_char)), POINTER(c_size_t), POINTER(c_int64)], c_int32)
mtmd_log_set = _fn("mtmd_log_set", [llama_cpp.llama_log_callback, c_void_p], None)
mtmd_helper_log_set = _fn("mtmd_helper_log_set", [llama_cpp.llama_log_callback, c_void_p], None)

def mtmd_get_audio_bitrate(ctx: Any, /) -> int:
    """Deprecated: ``mtmd_get_audio_sample_rate`` under its old name."""
    warnings.warn("mtmd_get_audio_bitrate is deprecated; use mtmd_get_audio_sample_rate instead", DeprecationWarning, stacklevel=2)
    return int(mtmd_get_audio_sample_rate(ctx))


def mtmd_helper_bitmap_init_from_file(ctx: Any, fname: bytes, placeholder: bool, opt: Any = None, /) -> Any:
    """Initialize an MTMD bitmap from a file."""
    if opt is None:
        opt = mtmd_helper_init_opt_default()
    return mtmd_helper_bitmap_init_from_file_wrapper(ctx, fname, placeholder, opt).bitmap


def mtmd_helper_bitmap_init_from_buf(ctx: Any, buf: Any, length: int, placeholder: bool, opt: Any = None, /) -> Any:
    """Initialize an MTMD bitmap from a buffer."""
    if opt is None:
        opt = mtmd_helper_init_opt_default()
    return mtmd_helper_bitmap_init_from_buf_wrapper(ctx, buf, length, placeholder, opt).bitmap


__all__ = [
    "MTMD_GEN_AUDIO_TYPE_NONE",
    "MTMD_GEN_AUDIO_TYPE_POCKETTTS",
    "MTMD_GEN_AUDIO_TYPE_QWEN3TTS",
    "MTMD_GEN_PROCESS_TYPE_GEN_CODE",
    "MTMD_GEN_PROCESS_TYPE_GEN_WAV",
    "MTMD_HELPER_GEN_AUDIO_OUTTYPE_PCM",
    "MTMD_HELPER_GEN_AUDIO_OUTTYPE_WAV",
    "MTMD_INPUT_CHUNK_TYPE_AUDIO",
    "MTMD_INPUT_CHUNK_TYPE_COUNT",
    "MTMD_INPUT_CHUNK_TYPE_IMAGE",
    "MTMD_INPUT_CHUNK_TYPE_TEXT",
    "mtmd_batch_add_chunk",
    "mtmd_batch_encode",
    "mtmd_batch_free",
    "mtmd_batch_get_output_embd",
    "mtmd_batch_init",
    "mtmd_batch_p",
    "mtmd_batch_p_ctypes",
    "mtmd_bitmap_free",
    "mtmd_bitmap_get_data",
    "mtmd_bitmap_get_id",
    "mtmd_bitmap_get_n_bytes",
    "mtmd_bitmap_get_nx",
    "mtmd_bitmap_get_ny",
    "mtmd_bitmap_init",
    "mtmd_bitmap_init_from_audio",
    "mtmd_bitmap_init_lazy",
    "mtmd_bitmap_is_audio",
    "mtmd_bitmap_lazy_callback",
    "mtmd_bitmap_p",
    "mtmd_bitmap_p_ctypes",
    "mtmd_bitmap_set_id",
    "mtmd_bitmap_set_mergeable",
    "mtmd_caps",
    "mtmd_context_p",
    "mtmd_context_p_ctypes",
    "mtmd_context_params",
    "mtmd_context_params_default",
    "mtmd_decode_use_mrope",
    "mtmd_decode_use_non_causal",
    "mtmd_decoder_pos",
    "mtmd_default_marker",
    "mtmd_encode",
    "mtmd_encode_chunk",
    "mtmd_free",
    "mtmd_gen_audio_get_info",
    "mtmd_gen_audio_info",
    "mtmd_gen_audio_process",
    "mtmd_gen_inp",
    "mtmd_gen_inp_default",
    "mtmd_gen_out",
    "mtmd_get_audio_bitrate",
    "mtmd_get_audio_sample_rate",
    "mtmd_get_cap_from_file",
    "mtmd_get_marker",
    "mtmd_get_output_embd",
    "mtmd_helper_bitmap_init_from_buf",
    "mtmd_helper_bitmap_init_from_buf_wrapper",
    "mtmd_helper_bitmap_init_from_file",
    "mtmd_helper_bitmap_init_from_file_wrapper",
    "mtmd_helper_bitmap_wrapper",
    "mtmd_helper_decode_image_chunk",
    "mtmd_helper_embd_batch",
    "mtmd_helper_eval_chunk_single",
    "mtmd_helper_eval_chunks",
    "mtmd_helper_gen_audio_free",
    "mtmd_helper_gen_audio_get_output",
    "mtmd_helper_gen_audio_init",
    "mtmd_helper_gen_audio_inp",
    "mtmd_helper_gen_audio_p",
    "mtmd_helper_gen_audio_p_ctypes",
    "mtmd_helper_gen_audio_reset",
    "mtmd_helper_gen_audio_set_input",
    "mtmd_helper_gen_audio_step_gen",
    "mtmd_helper_gen_audio_step_prompt",
    "mtmd_helper_get_n_pos",
    "mtmd_helper_get_n_tokens",
    "mtmd_helper_image_get_decoder_pos",
    "mtmd_helper_init_opt",
    "mtmd_helper_init_opt_default",
    "mtmd_helper_log_set",
    "mtmd_helper_model_can_chat",
    "mtmd_helper_post_decode_callback",
    "mtmd_helper_support_video",
    "mtmd_helper_video_free",
    "mtmd_helper_video_get_info",
    "mtmd_helper_video_info",
    "mtmd_helper_video_init",
    "mtmd_helper_video_init_from_buf",
    "mtmd_helper_video_init_params",
    "mtmd_helper_video_init_params_default",
    "mtmd_helper_video_p",
    "mtmd_helper_video_p_ctypes",
    "mtmd_helper_video_read_next",
    "mtmd_image_tokens_get_decoder_pos",
    "mtmd_image_tokens_get_id",
    "mtmd_image_tokens_get_n_pos",
    "mtmd_image_tokens_get_n_tokens",
    "mtmd_image_tokens_get_nx",
    "mtmd_image_tokens_get_ny",
    "mtmd_image_tokens_p",
    "mtmd_image_tokens_p_ctypes",
    "mtmd_init_from_file",
    "mtmd_input_chunk_copy",
    "mtmd_input_chunk_free",
    "mtmd_input_chunk_get_id",
    "mtmd_input_chunk_get_n_pos",
    "mtmd_input_chunk_get_n_tokens",
    "mtmd_input_chunk_get_placeholder",
    "mtmd_input_chunk_get_tokens_image",
    "mtmd_input_chunk_get_tokens_text",
    "mtmd_input_chunk_get_type",
    "mtmd_input_chunk_load",
    "mtmd_input_chunk_p",
    "mtmd_input_chunk_p_ctypes",
    "mtmd_input_chunk_save",
    "mtmd_input_chunks_free",
    "mtmd_input_chunks_get",
    "mtmd_input_chunks_init",
    "mtmd_input_chunks_p",
    "mtmd_input_chunks_p_ctypes",
    "mtmd_input_chunks_size",
    "mtmd_input_part",
    "mtmd_input_text",
    "mtmd_log_set",
    "mtmd_progress_callback",
    "mtmd_support_audio",
    "mtmd_support_vision",
    "mtmd_test_create_input_chunks",
    "mtmd_tokenize",
    "mtmd_tokenize_from_parts",
]
