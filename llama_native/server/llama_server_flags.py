"""llama-server's command-line flags on ``llama-native serve``: a llama-server command line runs unchanged.

The flags llama-server users pass most are accepted with llama-server's
meaning (:data:`ALIASES` are other names of our own flags; :func:`add_flags`
adds the rest); any other flag stops the server at start, named.

* ``-c N`` is llama-server's *total* context: with ``-np P`` each of the P
  slots gets ``N // P`` tokens (``--n-ctx`` is ours, per slot).  Without
  ``-np``, llama-server shares one unified cache between 4 slots, each able
  to use all N tokens; ``llama-native serve`` then runs one slot of N tokens
  (so no request is refused that llama-server would take; give ``-np`` for
  concurrency).
* ``-n/--n-predict N``: the cap on generated tokens of a request that names no
  ``max_tokens`` (default -1: up to the context, as llama-server).
* ``--temp T``: the temperature of a request that names none.
* ``--embedding(s)``, ``--pooling``, ``--rerank``: the model is loaded for
  embeddings (``--rerank``: with rank pooling).
* ``--jinja``, ``--cont-batching``, ``--metrics``, ``--no-webui``: accepted; what
  they turn on in llama-server is always on here (the GGUF's Jinja template,
  continuous batching, ``/metrics``), and there is no web UI.
* ``-fa on|off|auto``: flash attention.  ``--chat-template NAME|TEMPLATE``,
  ``--chat-template-file FILE``: another chat template.

Example::

    >>> from llama_native.server.settings import parse_settings
    >>> s = parse_settings(["-m", "m.gguf", "-c", "4096", "-np", "2", "-n", "64", "--host", "127.0.0.1,::1"])
    >>> s.models[0].load["n_ctx"], s.models[0].load["n_parallel"], s.n_predict, s.hosts
    (2048, 2, 64, ['127.0.0.1', '::1'])
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..constants import (
    LLAMA_POOLING_TYPE_CLS,
    LLAMA_POOLING_TYPE_LAST,
    LLAMA_POOLING_TYPE_MEAN,
    LLAMA_POOLING_TYPE_NONE,
    LLAMA_POOLING_TYPE_RANK,
)

#: our flag -> llama-server's names for it
ALIASES: dict[str, list[str]] = {
    "model": ["-m"],
    "model-alias": ["-a", "--alias"],
    "n-parallel": ["-np", "--parallel"],
    "n-gpu-layers": ["-ngl", "--gpu-layers"],
    "n-threads": ["-t", "--threads"],
    "mmproj-path": ["-mm", "--mmproj"],
    "request-timeout": ["-to", "--timeout"],
}

POOLING = {
    "none": LLAMA_POOLING_TYPE_NONE,
    "mean": LLAMA_POOLING_TYPE_MEAN,
    "cls": LLAMA_POOLING_TYPE_CLS,
    "last": LLAMA_POOLING_TYPE_LAST,
    "rank": LLAMA_POOLING_TYPE_RANK,
}

#: llama.cpp's built-in template names -> our named chat formats
TEMPLATE_NAMES = {
    "chatml": "chatml",
    "llama2": "llama-2",
    "llama3": "llama-3",
    "gemma": "gemma",
    "mistral-v1": "mistral-instruct",
    "phi3": "phi-3",
    "vicuna": "vicuna",
    "zephyr": "zephyr",
    "alpaca": "alpaca",
}

_ON, _OFF, _AUTO = ("on", "enabled", "true", "1"), ("off", "disabled", "false", "0"), ("auto", "-1")


def add_flags(parser: argparse.ArgumentParser) -> None:
    """Add llama-server's flags that have no name of ours (read by :func:`load_arguments` and the settings)."""
    group = parser.add_argument_group("llama-server's flags (a llama-server command line runs unchanged)")
    group.add_argument("-c", "--ctx-size", dest="ls_ctx_size", type=int, metavar="N",
                       help="total context over the -np slots (llama-server's meaning; --n-ctx is per slot)")
    group.add_argument("-n", "--n-predict", "--predict", dest="n_predict", type=int, metavar="N",
                       help="tokens a request without max_tokens may generate (default -1: up to the context)")
    group.add_argument("--temp", "--temperature", dest="temp", type=float, metavar="T",
                       help="temperature of a request that names none")
    group.add_argument("--api-key-file", dest="api_key_file", metavar="FILE",
                       help="API keys, one a line (# starts a comment)")
    group.add_argument("--slot-save-path", dest="slot_save_path", metavar="DIR",
                       help="folder for POST /slots/{id}?action=save|restore (slot KV caches on disk)")
    group.add_argument("-tb", "--threads-batch", dest="ls_threads_batch", type=int, metavar="N",
                       help="CPU threads for prompt processing")
    group.add_argument("-fa", "--flash-attn", dest="ls_flash_attn", nargs="?", const="on", metavar="on|off|auto",
                       help="flash attention (default auto)")
    group.add_argument("--pooling", dest="ls_pooling", choices=sorted(POOLING), help="embedding pooling")
    group.add_argument("--embedding", "--embeddings", dest="ls_embedding", action="store_true",
                       help="load the model for embeddings (its context then computes embeddings)")
    group.add_argument("--rerank", "--reranking", dest="ls_rerank", action="store_true",
                       help="load the model for reranking (embeddings with rank pooling)")
    group.add_argument("--chat-template", dest="ls_chat_template", metavar="NAME|TEMPLATE",
                       help=f"a built-in template ({', '.join(TEMPLATE_NAMES)}) or Jinja template text")
    group.add_argument("--chat-template-file", dest="ls_chat_template_file", metavar="FILE",
                       help="a Jinja chat template file")
    group.add_argument("--cors-methods", dest="cors_methods", metavar="METHODS",
                       help="CORS: allowed methods, comma-separated (default: all)")
    group.add_argument("--cors-headers", dest="cors_headers", metavar="HEADERS",
                       help="CORS: allowed headers, comma-separated (default: all)")
    for flag, dest, text in (
        ("--jinja", "ls_jinja", "accepted: the GGUF's Jinja template is always used"),
        ("--cont-batching", "ls_cont_batching", "accepted: continuous batching is always on"),
        ("--metrics", "ls_metrics", "accepted: /metrics is always served"),
        ("--no-webui", "ls_no_webui", "accepted: there is no web UI"),
    ):
        names = [flag] + {"--cont-batching": ["-cb"], "--no-webui": ["--no-ui"]}.get(flag, [])
        group.add_argument(*names, dest=dest, action="store_true", help=text)


def _flash_attn(value: str) -> bool | None:
    v = value.strip().lower()
    if v in _ON:
        return True
    if v in _OFF:
        return False
    if v in _AUTO:
        return None
    raise SystemExit(f"llama-native serve: -fa/--flash-attn takes on, off or auto, not {value!r}")


def read_api_keys(path: str) -> list[str]:
    """The keys of an ``--api-key-file``: one a line, ``#`` lines and blank lines skipped."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise SystemExit(f"llama-native serve: --api-key-file {path}: {exc.strerror or exc}") from None
    keys = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    if not keys:
        raise SystemExit(f"llama-native serve: --api-key-file {path} holds no key")
    return keys


def load_arguments(args: argparse.Namespace, load: dict[str, Any], parallel_given: bool) -> dict[str, Any]:
    """``load`` (a command-line model's ``Llama`` arguments) with llama-server's load flags applied.

    ``parallel_given``: whether the slots were set (``-np``, ``--n-parallel`` or the environment).
    """
    if args.ls_ctx_size is not None:
        if "n_ctx" in load and getattr(args, "n_ctx", None) is not None:
            raise SystemExit("llama-native serve: give -c/--ctx-size (total) or --n-ctx (per slot), not both")
        if args.ls_ctx_size <= 0:
            raise SystemExit("llama-native serve: -c 0 (the model's training context) is not supported; give a size")
        if not parallel_given:
            load["n_parallel"] = 1
        parallel = int(load["n_parallel"])
        if args.ls_ctx_size < parallel:
            raise SystemExit(f"llama-native serve: -c {args.ls_ctx_size} is smaller than -np {parallel} slots")
        load["n_ctx"] = args.ls_ctx_size // parallel
    if args.ls_threads_batch is not None:
        load["n_threads_batch"] = args.ls_threads_batch
    if args.ls_flash_attn is not None:
        load["flash_attn"] = _flash_attn(args.ls_flash_attn)
    if args.ls_embedding or args.ls_rerank:
        load["embedding"] = True
    if args.ls_rerank:
        if args.ls_pooling not in (None, "rank"):
            raise SystemExit(f"llama-native serve: --rerank needs rank pooling, not --pooling {args.ls_pooling}")
        load["pooling_type"] = LLAMA_POOLING_TYPE_RANK
    elif args.ls_pooling is not None:
        load["pooling_type"] = POOLING[args.ls_pooling]
    if args.ls_chat_template is not None and args.ls_chat_template_file is not None:
        raise SystemExit("llama-native serve: give --chat-template or --chat-template-file, not both")
    if args.ls_chat_template_file is not None:
        try:
            load["chat_template"] = Path(args.ls_chat_template_file).read_text(encoding="utf-8")
        except OSError as exc:
            raise SystemExit(f"llama-native serve: --chat-template-file {args.ls_chat_template_file}: {exc}") from None
    elif args.ls_chat_template is not None:
        template = args.ls_chat_template
        if template in TEMPLATE_NAMES:
            load["chat_format"] = TEMPLATE_NAMES[template]
        elif "{%" in template or "{{" in template:
            load["chat_template"] = template
        else:
            raise SystemExit(
                f"llama-native serve: --chat-template {template!r} is neither a built-in template "
                f"({', '.join(TEMPLATE_NAMES)}) nor Jinja template text"
            )
    return load


def apply_request_defaults(body: Any, settings: Any) -> None:
    """The server's ``-n/--n-predict`` and ``--temp`` on a chat or text completion body that names neither.

    A body naming no limit (``max_tokens``, ``max_completion_tokens``, or
    llama-server's own ``n_predict``) gets the server's ``n_predict`` cap when
    one is set; a body without ``temperature`` gets ``--temp``.
    """
    asked = (body.max_tokens, getattr(body, "max_completion_tokens", None), getattr(body, "n_predict", None))
    if settings.n_predict >= 0 and all(limit is None for limit in asked):
        body.max_tokens = settings.n_predict
    if settings.temperature is not None and "temperature" not in body.model_fields_set:
        body.temperature = settings.temperature
