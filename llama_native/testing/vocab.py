"""The vocabularies of the test models: a synthetic SentencePiece-style one, or a real tokenizer.

The synthetic vocabulary has byte fallback (any text tokenizes), a few
hundred pieces and words, and a ChatML template.  A real tokenizer is copied,
with every ``tokenizer.*`` key, from one of the pinned llama.cpp's vocab-only
GGUFs (``models/ggml-vocab-<name>.gguf``), with a real chat template from its
``models/templates`` (:data:`REAL_TOKENIZERS`).

Example::

    >>> vocab = _synthetic_vocab()
    >>> vocab["tokenizer.ggml.model"], vocab["tokenizer.ggml.tokens"][:3]
    ('llama', ['<unk>', '<s>', '</s>'])
"""

from __future__ import annotations

from typing import Any

from ..llama_cpp_source import llama_cpp_dir

#: vocab-only GGUF name (in llama.cpp's models/) -> a real chat template for it
REAL_TOKENIZERS: dict[str, str] = {
    "llama-bpe": "meta-llama-Llama-3.1-8B-Instruct.jinja",
    "llama-spm": "mistralai-Mistral-Nemo-Instruct-2407.jinja",
    "qwen2": "Qwen-Qwen2.5-7B-Instruct.jinja",
    "phi-3": "microsoft-Phi-3.5-mini-instruct.jinja",
}

CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + (message['content'] or '') + '<|im_end|>' + '\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)

# Token types of llama.cpp's vocabulary (gguf.TokenType values).
_NORMAL, _UNKNOWN, _CONTROL, _BYTE = 1, 2, 3, 6

_SYNTHETIC_WORDS = (
    "the a an is are was of to in and or for on with as by at from that this it be not "
    "name age city email date time place person people year years old lives works "
    "hello world yes no true false null json object array string number value key "
    "John Jane Alice Bob Paris London Berlin Tokyo"
).split()

_SYNTHETIC_PIECES = list('{}[]":,.-_ \n0123456789') + [
    '{"',
    '"}',
    '":',
    '",',
    ' "',
    ": ",
    ", ",
    "\n\n",
    "  ",
]


def _synthetic_vocab() -> dict[str, Any]:
    tokens: list[str] = ["<unk>", "<s>", "</s>", "<|im_start|>", "<|im_end|>"]
    types: list[int] = [_UNKNOWN, _CONTROL, _CONTROL, _CONTROL, _CONTROL]
    scores: list[float] = [0.0] * len(tokens)
    tokens += [f"<0x{b:02X}>" for b in range(256)]
    types += [_BYTE] * 256
    scores += [0.0] * 256
    pieces: list[str] = []
    for ch in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ":
        pieces += [ch, "\u2581" + ch]
    pieces += [p.replace(" ", "\u2581") for p in _SYNTHETIC_PIECES]
    pieces += ["\u2581" + w for w in _SYNTHETIC_WORDS] + _SYNTHETIC_WORDS
    seen = set(tokens)
    for i, piece in enumerate(pieces):
        if piece in seen:
            continue
        seen.add(piece)
        tokens.append(piece)
        types.append(_NORMAL)
        # SentencePiece merges prefer higher scores: longer pieces first.
        scores.append(float(len(piece)) - i * 1e-4)
    return {
        "tokenizer.ggml.model": "llama",
        "tokenizer.ggml.tokens": tokens,
        "tokenizer.ggml.scores": scores,
        "tokenizer.ggml.token_type": types,
        "tokenizer.ggml.bos_token_id": 1,
        "tokenizer.ggml.eos_token_id": 2,
        "tokenizer.ggml.unknown_token_id": 0,
        "tokenizer.ggml.add_bos_token": True,
        "tokenizer.ggml.add_eos_token": False,
        "tokenizer.chat_template": CHATML_TEMPLATE,
    }


def _read_tokenizer(name: str) -> dict[str, Any]:
    """Copy every ``tokenizer.*`` key from llama.cpp's ``models/ggml-vocab-<name>.gguf``."""
    import gguf

    path = llama_cpp_dir() / "models" / f"ggml-vocab-{name}.gguf"
    if not path.exists():
        raise FileNotFoundError(f"no vocab-only GGUF for tokenizer {name!r} at {path}")
    reader = gguf.GGUFReader(str(path))
    out: dict[str, Any] = {}
    for key, fld in reader.fields.items():
        if key.startswith("tokenizer."):
            out[key] = (fld.contents(), fld.types)
    template_name = REAL_TOKENIZERS.get(name)
    if template_name:
        template = (llama_cpp_dir() / "models" / "templates" / template_name).read_text(encoding="utf-8")
        out["tokenizer.chat_template"] = template
    return out
