"""What a loaded model is: architecture, size, quantization, context, chat template, pooling, buffers.

``llama-native info --model PATH`` prints these (:func:`model_facts`), read
from the GGUF's metadata and from where llama.cpp put the weights.

Example::

    >>> from llama_native import Llama
    >>> from llama_native.testing import synthetic_model_path
    >>> facts = model_facts(Llama(str(synthetic_model_path()), n_ctx=64))
    >>> facts["architecture"], facts["parameters"] > 0
    ('llama', True)
"""

from __future__ import annotations

from typing import Any

_POOLING = {-1: "unspecified", 0: "none", 1: "mean", 2: "cls", 3: "last", 4: "rank"}

# marker in a chat template -> the name llama.cpp's chat layer (and most tools) give that family
_TEMPLATE_MARKERS: tuple[tuple[str, str], ...] = (
    ("<|im_start|>", "chatml"),
    ("<|start_header_id|>", "llama3"),
    ("<start_of_turn>", "gemma"),
    ("[INST]", "mistral/llama2"),
    ("<|user|>", "phi3/zephyr"),
    ("<|User|>", "deepseek"),
    ("<|START_OF_TURN_TOKEN|>", "command-r"),
    ("<|turn>", "gemma4"),
    ("<|channel|>", "gpt-oss"),
)


def template_name(template: str | None) -> str:
    """The chat template's family by its markers (``"none"`` without a template, ``"custom"`` when unknown).

    Example::

        >>> template_name("{% for m in messages %}<|im_start|>{{ m.role }}{% endfor %}")
        'chatml'
    """
    if not template:
        return "none"
    for marker, name in _TEMPLATE_MARKERS:
        if marker in template:
            return name
    return "custom"


def quantization(description: str, metadata: dict[str, str]) -> str:
    """The file's quantization as llama.cpp names it (``Q4_K - Medium``, ``F16`` ...): its description's tail."""
    parts = description.split(" ", 2)
    if len(parts) == 3:
        return parts[2]
    return f"file_type {metadata.get('general.file_type', '?')}"


def model_facts(llm: Any) -> dict[str, Any]:
    """A loaded :class:`~llama_native.Llama`'s facts, as plain data (JSON-serialisable)."""
    m = llm._model
    md: dict[str, str] = dict(m.metadata())
    arch = md.get("general.architecture", "?")
    pooling_raw = md.get(f"{arch}.pooling_type")
    pooling = _POOLING.get(int(pooling_raw), pooling_raw) if pooling_raw is not None else "none (not set)"
    template = m.chat_template()
    return {
        "path": llm.model_path,
        "name": md.get("general.name", ""),
        "architecture": arch,
        "parameters": int(m.n_params),
        "size_bytes": int(m.size_bytes),
        "quantization": quantization(m.description(), md),
        "context_length": int(m.n_ctx_train),
        "layers": int(m.n_layer),
        "embedding_length": int(m.n_embd),
        "vocab_size": int(m.n_vocab),
        "chat_template": template_name(template),
        "chat_format": getattr(llm, "chat_format", None),
        "pooling_type": pooling,
        "buffer_types": dict(llm.buffer_types),
    }


def format_facts(facts: dict[str, Any]) -> list[str]:
    """The facts as ``info``'s aligned lines."""

    def human(n: int) -> str:
        for unit, size in (("B", 1e9), ("M", 1e6), ("K", 1e3)):
            if n >= size:
                return f"{n / size:.2f}{unit}"
        return str(n)

    lines = [
        f"model          : {facts['path']}",
        f"name           : {facts['name'] or '(none)'}",
        f"architecture   : {facts['architecture']}, {facts['layers']} layers, embedding {facts['embedding_length']}, "
        f"vocabulary {facts['vocab_size']}",
        f"parameters     : {human(facts['parameters'])} ({facts['size_bytes'] / 2**20:.2f} MiB)",
        f"quantization   : {facts['quantization']}",
        f"context length : {facts['context_length']} (trained)",
        f"chat template  : {facts['chat_template']}"
        + (f" (chat_format={facts['chat_format']})" if facts.get("chat_format") else ""),
        f"pooling type   : {facts['pooling_type']}",
    ]
    lines += [f"buffer type    : {name} {size / 2**20:.2f} MiB" for name, size in sorted(facts["buffer_types"].items())]
    return lines
