"""The server's settings: command-line flags, the environment variables that mirror them, a config file.

Each flag ``--n-ctx`` has an environment variable ``LLAMA_NATIVE_N_CTX``; a
flag given on the command line wins over the environment.  ``--config FILE``
(JSON, or YAML when PyYAML is installed) lists several models by alias, as
llama-cpp-python's ``--config_file``::

    {"host": "127.0.0.1", "port": 8000,
     "models": [{"model": "qwen.gguf", "model_alias": "qwen", "n_ctx": 8192, "n_parallel": 4},
                {"model": "nomic.gguf", "model_alias": "embed", "embedding": true}]}

Every model is loaded before the server binds (a file that cannot be served stops
it with the reason); ``--lazy`` (``"lazy": true`` in the config) loads each on its
first request instead.

A model entry's other keys are :class:`llama_native.Llama` arguments; a vision model's projector is
``mmproj_path``, or llama-cpp-python's ``clip_model_path`` with a handler's ``chat_format``
(``"llava-1-5"``, ``"qwen2.5-vl"``, ...).

Example::

    >>> from llama_native.server.settings import parse_settings
    >>> s = parse_settings(["--model", "m.gguf", "--n-parallel", "4"], env={"LLAMA_NATIVE_PORT": "9000"})
    >>> s.port, s.models[0].alias, s.models[0].load["n_parallel"], s.lazy
    (9000, 'm', 4, False)
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from ..chat.vision_handlers import HANDLERS_BY_CHAT_FORMAT
from .llama_server_flags import ALIASES, add_flags, load_arguments, read_api_keys

ENV_PREFIX = "LLAMA_NATIVE_"


@dataclass
class ModelEntry:
    """One servable model: its alias (the request's ``model``), its file, and its ``Llama`` arguments."""

    alias: str
    path: str
    load: dict[str, Any] = field(default_factory=dict)


@dataclass
class ServerSettings:
    """Everything the server runs with (see the module docstring for where each comes from)."""

    models: list[ModelEntry]
    host: str = "127.0.0.1"
    port: int = 8000
    api_key: str | None = None
    max_queue: int = 64
    request_timeout: float = 600.0
    max_body_bytes: int = 8 << 20
    cors_origins: list[str] = field(default_factory=list)
    shutdown_timeout: float = 30.0
    lazy: bool = False
    #: every address to bind (``--host 127.0.0.1,::1``); ``host`` is the first
    hosts: list[str] = field(default_factory=list)
    #: the keys any one of which a request may carry (``--api-key`` a comma-separated list, ``--api-key-file``)
    api_keys: list[str] = field(default_factory=list)
    #: tokens a request naming no ``max_tokens`` may generate (-1: up to the context)
    n_predict: int = -1
    #: the temperature of a request that names none (None: the API's default)
    temperature: float | None = None
    #: folder of the slot files of ``POST /slots/{id}?action=save|restore`` (None: slot actions refused)
    slot_save_path: str | None = None
    cors_methods: list[str] = field(default_factory=lambda: ["*"])
    cors_headers: list[str] = field(default_factory=lambda: ["*"])
    log_level: str = "info"  # see server/access_log.py
    log_format: str = "text"

    def __post_init__(self) -> None:
        if not self.hosts:
            self.hosts = [self.host]
        if self.api_key and not self.api_keys:
            self.api_keys = [k for k in (k.strip() for k in self.api_key.split(",")) if k]


# flag, type, default, help  (the load flags go into every model entry given on the command line)
_SERVER_FLAGS: list[tuple[str, Any, Any, str]] = [
    ("host", str, "127.0.0.1", "address(es) to bind, comma-separated (default: loopback only)"),
    ("port", int, 8000, "port (default 8000)"),
    ("api-key", str, None, "require 'Authorization: Bearer KEY' (or 'X-Api-Key: KEY') on every route but /health; "
     "several keys comma-separated"),
    ("max-queue", int, 64, "requests waiting beyond the running ones before 503 (default 64)"),
    ("request-timeout", float, 600.0, "seconds a request may run before 504 (default 600)"),
    ("max-body-bytes", int, 8 << 20, "largest request body accepted (default 8 MiB)"),
    ("cors-origins", str, None, "origins allowed by CORS: comma-separated, '*' (any) or 'localhost' (any "
     "localhost origin) (default: CORS off)"),
    ("shutdown-timeout", float, 30.0, "seconds running requests get to finish on shutdown (default 30)"),
    ("log-level", str, "info", "debug|info|warning|error|critical; debug adds llama.cpp's own log (default info)"),
    ("log-format", str, "text", "text|json: the log's lines, one access line per request (default text)"),
]
_LOAD_FLAGS: list[tuple[str, Any, Any, str]] = [
    ("n-ctx", int, 4096, "context tokens per sequence (default 4096)"),
    ("n-parallel", int, 4, "sequences decoded together by continuous batching (default 4)"),
    ("n-gpu-layers", int, 0, "layers offloaded to a GPU build (-1: all)"),
    ("n-threads", int, None, "CPU threads (default: the machine's)"),
    ("chat-format", str, None, "a named chat format instead of the GGUF's template"),
    ("mmproj-path", str, None, "the model's image projector GGUF: chat messages may then hold image_url parts"),
]


def boolean(raw: str) -> bool:
    """An environment variable's truth value: 1/true/yes/on or 0/false/no/off (``ValueError`` otherwise)."""
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ValueError(raw)


def _env_name(flag: str) -> str:
    return ENV_PREFIX + flag.upper().replace("-", "_")


def build_parser() -> argparse.ArgumentParser:
    """The ``llama-native serve`` argument parser (defaults come from the environment, then the table)."""
    parser = _Parser(
        prog="llama-native serve",
        allow_abbrev=False,  # a llama-server flag never silently matches the start of another of ours
        description="An OpenAI-compatible HTTP server over local GGUF models (FastAPI + uvicorn). "
        "Every flag can also be set as an environment variable LLAMA_NATIVE_<FLAG>.",
    )
    parser.add_argument("--model", *ALIASES["model"], dest="model", metavar="PATH",
                        help=f"a GGUF model file (env {_env_name('model')})")
    parser.add_argument("--model-alias", *ALIASES["model-alias"], dest="model_alias",
                        help="the name clients pass as 'model' (default: the file's stem)")
    parser.add_argument("--config", metavar="FILE", help="JSON/YAML file listing several models by alias")
    parser.add_argument(
        "--lazy", action="store_const", const=True, default=None,
        help="load each model on its first request instead of before serving; /health shows each one's "
        f"state (env {_env_name('lazy')}=1)",
    )  # fmt: skip
    for name, kind, _, text in _SERVER_FLAGS + _LOAD_FLAGS:
        parser.add_argument(f"--{name}", *ALIASES.get(name, []), dest=name.replace("-", "_"), type=kind,
                            default=None, help=f"{text} (env {_env_name(name)})")
    add_flags(parser)
    return parser


class _Parser(argparse.ArgumentParser):
    """Refuses a flag it does not know by name, in one line (no usage dump, no traceback)."""

    def error(self, message: str) -> NoReturn:
        """Exit with status 2 and the reason."""
        hint = ""
        if "unrecognized arguments" in message:
            hint = " (not supported by llama-native serve; see --help for its flags and llama-server's it accepts)"
        self.exit(2, f"llama-native serve: {message}{hint}\n")


def _value(args: argparse.Namespace, env: Mapping[str, str], flag: str, kind: Any, default: Any) -> Any:
    given = getattr(args, flag.replace("-", "_"), None)
    if given is not None:
        return given
    raw = env.get(_env_name(flag))
    if raw is None or raw == "":
        return default
    try:
        return kind(raw)
    except ValueError:
        raise SystemExit(f"{_env_name(flag)}={raw!r} is not a valid {kind.__name__}") from None


def _read_config(path: str) -> dict[str, Any]:
    text = Path(path).read_text(encoding="utf-8")
    if path.endswith((".yaml", ".yml")):
        try:
            import yaml
        except ImportError:
            raise SystemExit("a YAML config needs PyYAML: pip install pyyaml (or write the config as JSON)") from None
        data = yaml.safe_load(text)
    else:
        data = json.loads(text)
    if not isinstance(data, dict) or not isinstance(data.get("models"), list) or not data["models"]:
        raise SystemExit(f"{path}: the config must be an object with a non-empty 'models' list")
    return data


def _entry(raw: Mapping[str, Any], where: str) -> ModelEntry:
    raw = dict(raw)
    path = raw.pop("model", None) or raw.pop("model_path", None)
    if not isinstance(path, str):
        raise SystemExit(f"{where}: each model needs 'model': the path of a GGUF file")
    alias = raw.pop("model_alias", None) or Path(path).stem
    return ModelEntry(alias=str(alias), path=path, load=_multimodal(raw, where))


def _multimodal(load: dict[str, Any], where: str) -> dict[str, Any]:
    """llama-cpp-python's config keys for a vision model: ``clip_model_path`` and a handler's ``chat_format``."""
    clip = load.pop("clip_model_path", None)
    if clip is not None:
        if load.get("mmproj_path") not in (None, clip):
            raise SystemExit(f"{where}: give the projector once, as mmproj_path or clip_model_path")
        load["mmproj_path"] = clip
    handler = HANDLERS_BY_CHAT_FORMAT.get(str(load.get("chat_format")))
    if handler is not None:
        if "mmproj_path" not in load:
            raise SystemExit(f"{where}: chat_format {load['chat_format']!r} needs clip_model_path (the projector)")
        del load["chat_format"]
        load["chat_handler"] = handler(load.pop("mmproj_path"))
    return load


def parse_settings(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> ServerSettings:
    """Settings from ``argv`` (command-line flags) and ``env`` (default: ``os.environ``)."""
    env = os.environ if env is None else env
    args = build_parser().parse_args(argv)
    values = {
        flag.replace("-", "_"): _value(args, env, flag, kind, default) for flag, kind, default, _ in _SERVER_FLAGS
    }
    values["lazy"] = _value(args, env, "lazy", boolean, False)
    load = {
        flag.replace("-", "_"): _value(args, env, flag, kind, default) for flag, kind, default, _ in _LOAD_FLAGS
    }
    parallel_given = args.n_parallel is not None or bool(env.get(_env_name("n-parallel")))
    load = load_arguments(args, {k: v for k, v in load.items() if v is not None}, parallel_given)
    models: list[ModelEntry] = []
    config_path = args.config or env.get(_env_name("config"))
    if config_path:
        config = _read_config(config_path)
        for key in ("host", "port", "api_key", "max_queue", "request_timeout", "max_body_bytes", "shutdown_timeout",
                    "lazy"):  # fmt: skip
            if key in config and getattr(args, key, None) is None and _env_name(key.replace("_", "-")) not in env:
                values[key] = config[key]
        if not isinstance(values["lazy"], bool):
            raise SystemExit(f"{config_path}: 'lazy' must be true or false, got {values['lazy']!r}")
        models = [_entry(m, f"{config_path}: models[{i}]") for i, m in enumerate(config["models"])]
    model_path = args.model or env.get(_env_name("model"))
    if model_path:
        alias = args.model_alias or env.get(_env_name("model-alias")) or Path(model_path).stem
        models.append(ModelEntry(alias=alias, path=model_path, load=load))
    if not models:
        raise SystemExit("llama-native serve: give --model PATH (or LLAMA_NATIVE_MODEL) or --config FILE")
    aliases = [m.alias for m in models]
    if len(set(aliases)) != len(aliases):
        raise SystemExit(f"llama-native serve: model aliases must be unique, got {aliases}")
    cors = values.pop("cors_origins")
    hosts = [h.strip("[]") for h in _csv(str(values.pop("host")))]
    if not hosts:
        raise SystemExit("llama-native serve: --host needs at least one address")
    keys = _csv(values["api_key"] or "")
    if args.api_key_file:
        keys += read_api_keys(args.api_key_file)
    n_predict = _value(args, env, "n-predict", int, -1)
    if n_predict < -1:
        raise SystemExit(f"llama-native serve: -n/--n-predict must be -1 (no cap) or more, not {n_predict}")
    return ServerSettings(
        models=models, cors_origins=_csv(cors or ""), host=hosts[0], hosts=hosts, api_keys=keys,
        n_predict=n_predict, temperature=_value(args, env, "temp", float, None),
        slot_save_path=args.slot_save_path or env.get(_env_name("slot-save-path")) or None,
        cors_methods=_csv(args.cors_methods or "*"), cors_headers=_csv(args.cors_headers or "*"), **values,
    )  # fmt: skip


def _csv(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]
