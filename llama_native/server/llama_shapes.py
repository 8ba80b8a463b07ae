"""llama-server's response shapes: errors, ``timings``, ``generation_settings``, ``/props``, ``/models``.

Example::

    >>> from llama_native.server.llama_shapes import timings
    >>> t = timings(None, prompt_n=10, cache_n=2, predicted_n=5, started=0.0, first_token=0.1, ended=0.6)
    >>> t["prompt_n"], round(t["prompt_ms"]), round(t["predicted_per_second"])
    (8, 100, 10)
"""

from __future__ import annotations

import time
from typing import Any

from .. import __version__, _native
from ..llama import Llama
from .errors import ApiError
from .llama_bodies import DEFAULT_SAMPLERS, SAMPLER_NAMES, GenerationBody

#: llama-server's error ``type`` for each status of its own routes
ERROR_TYPES = {
    400: "invalid_request_error", 401: "authentication_error", 403: "permission_error", 404: "not_found_error",
    501: "not_supported_error", 503: "unavailable_error",
}  # fmt: skip


#: llama.cpp's names of the GGUF ``general.file_type`` values (``llama_model_ftype_name``)
FTYPE_NAMES = {
    0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1", 10: "Q2_K", 11: "Q3_K_S",
    12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M", 16: "Q5_K_S", 17: "Q5_K_M", 18: "Q6_K", 32: "BF16",
}  # fmt: skip

#: llama.cpp's ``llama_vocab_type`` of each ``tokenizer.ggml.model``
VOCAB_TYPES = {"llama": 1, "gpt2": 2, "bert": 3, "t5": 4, "rwkv": 5, "plamo2": 6}


def model_facts(llm: Llama) -> dict[str, Any]:
    """The ``meta`` of a ``/models`` entry: vocabulary, context, size and file type."""
    meta = llm.metadata
    return {
        "vocab_type": VOCAB_TYPES.get(str(meta.get("tokenizer.ggml.model", "")), 0),
        "n_vocab": llm.n_vocab(), "n_ctx": llm.n_ctx(), "n_ctx_train": llm.n_ctx_train(), "n_embd": llm.n_embd(),
        "n_params": llm._model.n_params, "size": llm._model.size_bytes, "ftype": ftype_name(llm),
    }  # fmt: skip


def ftype_name(llm: Llama) -> str:
    """The file type's name (``Q4_1``, ...), as llama-server's ``model_ftype``."""
    value = llm.metadata.get("general.file_type")
    return FTYPE_NAMES.get(int(value), str(value)) if value is not None else ""


class LlamaServerError(ApiError):
    """An error in llama-server's shape: ``{"error": {"code", "message", "type", ...}}`` (``extra``: more keys)."""

    def __init__(self, status: int, message: str, type: str | None = None, **extra: Any) -> None:
        super().__init__(status, message, type or ERROR_TYPES.get(status, "server_error"))
        self.extra = extra

    def body(self) -> dict[str, Any]:
        """The JSON body, as llama-server writes it."""
        return {"error": {"code": self.status, "message": self.message, "type": self.type, **self.extra}}

    @classmethod
    def of(cls, error: ApiError) -> LlamaServerError:
        """An OpenAI-shaped error of this server in llama-server's shape (same status and message)."""
        if isinstance(error, LlamaServerError):
            return error
        return cls(error.status, error.message)


def context_overflow(prompt_tokens: int, n_ctx: int) -> LlamaServerError:
    """llama-server's 400 ``exceed_context_size_error`` (with both sizes)."""
    return LlamaServerError(
        400, f"request ({prompt_tokens} tokens) exceeds the available context size ({n_ctx} tokens), "
        "try increasing it", "exceed_context_size_error", n_prompt_tokens=prompt_tokens, n_ctx=n_ctx,
    )  # fmt: skip


def timings(
    given: dict[str, Any] | None,
    *,
    prompt_n: int,
    cache_n: int,
    predicted_n: int,
    started: float,
    first_token: float | None,
    ended: float,
) -> dict[str, Any]:
    """llama-server's ``timings``: ``given`` (the Python API's, when a result carries them) completed, else measured.

    ``prompt_n`` counts the prompt tokens, ``cache_n`` those reused from the cache;
    the times are ``time.monotonic()`` values of the request's start, first token and end.
    """
    if given:
        out = dict(given)
    else:
        first = first_token if first_token is not None else ended
        out = {
            "cache_n": cache_n,
            "prompt_n": max(0, prompt_n - cache_n),
            "prompt_ms": (first - started) * 1000.0,
            "predicted_n": predicted_n,
            "predicted_ms": (ended - first) * 1000.0,
        }
    for kind in ("prompt", "predicted"):
        n, ms = out.get(f"{kind}_n", 0), out.get(f"{kind}_ms", 0.0)
        out.setdefault(f"{kind}_per_token_ms", ms / n if n else 0.0)
        out.setdefault(f"{kind}_per_second", 1000.0 * n / ms if ms > 0 else 0.0)
    order = ["cache_n", "prompt_n", "prompt_ms", "prompt_per_token_ms", "prompt_per_second", "predicted_n",
             "predicted_ms", "predicted_per_token_ms", "predicted_per_second"]  # fmt: skip
    return {k: out[k] for k in order if k in out} | {k: v for k, v in out.items() if k not in order}


def generation_settings(body: GenerationBody | None, n_ctx: int | None = None) -> dict[str, Any]:
    """``generation_settings`` of a response (``body`` None: the server's defaults, as ``/props`` lists them)."""
    b = body if body is not None else GenerationBody()
    samplers = [SAMPLER_NAMES[n] for n in b.sampler_list()] if body is not None else list(DEFAULT_SAMPLERS)
    limit = b.token_limit()
    out: dict[str, Any] = {
        "seed": b.seed if b.seed >= 0 else 4294967295, "temperature": b.temperature,
        "dynatemp_range": b.dynatemp_range, "dynatemp_exponent": b.dynatemp_exponent, "top_k": b.top_k,
        "top_p": b.top_p, "min_p": b.min_p, "top_n_sigma": b.top_n_sigma, "xtc_probability": b.xtc_probability,
        "xtc_threshold": b.xtc_threshold, "typical_p": b.typical_p, "repeat_last_n": b.repeat_last_n,
        "repeat_penalty": b.repeat_penalty, "presence_penalty": b.presence_penalty,
        "frequency_penalty": b.frequency_penalty, "dry_multiplier": b.dry_multiplier, "dry_base": b.dry_base,
        "dry_allowed_length": b.dry_allowed_length, "dry_penalty_last_n": b.dry_penalty_last_n,
        "dry_sequence_breakers": b.dry_sequence_breakers or ["\n", ":", '"', "*"], "mirostat": b.mirostat,
        "mirostat_tau": b.mirostat_tau, "mirostat_eta": b.mirostat_eta, "adaptive_target": -1.0,
        "adaptive_decay": 0.9, "stop": list(b.stop),
        "max_tokens": -1 if limit is None else limit, "n_predict": -1 if limit is None else limit,
        "n_keep": b.n_keep, "n_discard": b.n_discard, "ignore_eos": b.ignore_eos, "stream": b.stream,
        "logit_bias": [], "n_probs": b.n_probs, "min_keep": b.min_keep, "grammar": b.grammar or "",
        "grammar_lazy": False, "grammar_triggers": [], "preserved_tokens": [], "chat_format": "Content-only",
        "reasoning_format": "none", "reasoning_in_content": False, "generation_prompt": "", "samplers": samplers,
        "speculative.types": "none", "timings_per_token": b.timings_per_token,
        "post_sampling_probs": b.post_sampling_probs, "backend_sampling": False, "lora": [],
    }  # fmt: skip
    if body is None:  # /props lists the sampling parameters only
        for key in ("stop", "dry_sequence_breakers", "logit_bias", "grammar", "grammar_lazy", "grammar_triggers",
                    "preserved_tokens"):  # fmt: skip
            out.pop(key)
    return out


def template_caps(llm: Llama) -> dict[str, bool]:
    """llama-server's ``chat_template_caps``: what the model's chat template supports ({} without a template)."""
    source = llm.chat_template or ""
    if not source:
        return {}
    try:
        return dict(_native.ChatTemplates(llm._model, source).caps())
    except ValueError:  # a template llama.cpp's chat layer cannot parse
        return {}


def props(alias: str, llm: Llama, path: str, total_slots: int) -> dict[str, Any]:
    """``GET /props``: the server's defaults, slots, model and chat template."""
    meta = llm.metadata
    bos, eos = llm.token_bos(), llm.token_eos()
    piece = lambda t: llm.token_to_piece(t, special=True).decode("utf-8", "replace") if t >= 0 else ""  # noqa: E731
    return {
        "default_generation_settings": {"params": generation_settings(None), "n_ctx": llm.n_ctx()},
        "total_slots": total_slots,
        "model_alias": alias,
        "model_ftype": ftype_name(llm),
        "model_path": path,
        "modalities": {"vision": False, "video": False, "audio": False},
        "media_marker": "",
        "endpoint_slots": False,
        "endpoint_props": False,
        "endpoint_metrics": True,
        "ui": False,
        "ui_settings": {},
        "chat_template": meta.get("tokenizer.chat_template", ""),
        "chat_template_caps": template_caps(llm),
        "bos_token": piece(bos),
        "eos_token": piece(eos),
        "build_info": f"llama-native {__version__}",
        "is_sleeping": False,
        "cors_proxy_enabled": False,
    }


def models(aliases: list[tuple[str, Llama | None]]) -> dict[str, Any]:
    """``GET /models``: llama-server's list (Ollama-style ``models`` and OpenAI-style ``data``)."""
    now = int(time.time())
    listed, data = [], []
    for alias, llm in aliases:
        listed.append({
            "name": alias, "model": alias, "modified_at": "", "size": "", "digest": "", "type": "model",
            "description": "", "tags": [""], "capabilities": ["completion"], "parameters": "",
            "details": {"parent_model": "", "format": "gguf", "family": "", "families": [""], "parameter_size": "",
                        "quantization_level": ""},
        })  # fmt: skip
        meta = model_facts(llm) if llm is not None else {}
        data.append({"id": alias, "aliases": [alias], "tags": [], "object": "model", "created": now,
                     "owned_by": "llama-native", "meta": meta})  # fmt: skip
    return {"models": listed, "object": "list", "data": data}
