"""Tokenizers as llama-cpp-python's ``llama_cpp.llama_tokenizer`` has them.

``LlamaTokenizer`` is the GGUF's own tokenizer; ``LlamaHFTokenizer`` wraps a
Hugging Face tokenizer (``transformers``, not a dependency) and may be passed
to ``Llama(..., tokenizer=...)`` to tokenize text prompts instead of the GGUF.

Example::

    >>> from llama_native import Llama
    >>> from llama_native.llama_tokenizer import LlamaTokenizer
    >>> from llama_native.testing import synthetic_model_path
    >>> tok = LlamaTokenizer.from_ggml_file(str(synthetic_model_path()))
    >>> tok.decode(tok.encode("hello world", add_bos=False))
    ' hello world'
"""

from __future__ import annotations

import abc
from typing import Any

from .. import _native
from ..runtime.loading import check_model_file, model_params


class BaseLlamaTokenizer(abc.ABC):
    """What ``Llama(..., tokenizer=...)`` needs: bytes to token ids and back."""

    @abc.abstractmethod
    def tokenize(self, text: bytes, add_bos: bool = True, special: bool = True) -> list[int]:
        """Token ids of UTF-8 ``text`` (``add_bos``: with the beginning-of-sequence token)."""

    @abc.abstractmethod
    def detokenize(self, tokens: list[int], prev_tokens: list[int] | None = None, special: bool = False) -> bytes:
        """UTF-8 bytes of ``tokens`` (``prev_tokens``: the tokens before them, for tokenizers that need context)."""

    def encode(self, text: str, add_bos: bool = True, special: bool = True) -> list[int]:
        """:meth:`tokenize` for a ``str``."""
        return self.tokenize(text.encode("utf-8", errors="ignore"), add_bos=add_bos, special=special)

    def decode(self, tokens: list[int]) -> str:
        """:meth:`detokenize` as a ``str``."""
        return self.detokenize(tokens).decode("utf-8", errors="ignore")


class LlamaTokenizer(BaseLlamaTokenizer):
    """A model's own tokenizer (``LlamaTokenizer(llm)`` for a loaded ``Llama``)."""

    def __init__(self, llama: Any) -> None:
        self._model: _native.Model = llama._model if not isinstance(llama, _native.Model) else llama

    def tokenize(self, text: bytes, add_bos: bool = True, special: bool = True) -> list[int]:
        """Token ids of ``text`` by the GGUF's tokenizer."""
        return self._model.tokenize(text, add_bos, special)

    def detokenize(self, tokens: list[int], prev_tokens: list[int] | None = None, special: bool = False) -> bytes:
        """Bytes of ``tokens`` by the GGUF's tokenizer."""
        try:
            return self._model.detokenize(list(tokens), special)
        except IndexError as exc:
            raise ValueError(str(exc)) from None

    @classmethod
    def from_ggml_file(cls, path: str) -> LlamaTokenizer:
        """The tokenizer of the GGUF at ``path`` (its vocabulary only: no weights are loaded)."""
        check_model_file(path)
        _, params = model_params(
            {"n_gpu_layers": 0, "split_mode": 1, "main_gpu": 0, "tensor_split": None, "use_mmap": True,
             "use_mlock": False, "vocab_only": True, "kv_overrides": None, "rpc_servers": None, "use_extra_bufts": True}
        )  # fmt: skip
        return cls(_native.Model(path, params))


class LlamaHFTokenizer(BaseLlamaTokenizer):
    """A Hugging Face tokenizer (``transformers``) used in place of the GGUF's."""

    def __init__(self, hf_tokenizer: Any) -> None:
        self.hf_tokenizer = hf_tokenizer

    def tokenize(self, text: bytes, add_bos: bool = True, special: bool = True) -> list[int]:
        """Token ids by the Hugging Face tokenizer (``add_bos`` maps to its special tokens)."""
        return list(self.hf_tokenizer.encode(text.decode("utf-8", errors="ignore"), add_special_tokens=special))

    def detokenize(self, tokens: list[int], prev_tokens: list[int] | None = None, special: bool = False) -> bytes:
        """Bytes of ``tokens``; with ``prev_tokens``, only the text the tokens add after them."""
        skip = not special
        if prev_tokens is None:
            return self.hf_tokenizer.decode(tokens, skip_special_tokens=skip).encode("utf-8", errors="ignore")
        text = self.hf_tokenizer.decode(prev_tokens + tokens, skip_special_tokens=skip).encode("utf-8", errors="ignore")
        prev = self.hf_tokenizer.decode(prev_tokens, skip_special_tokens=skip).encode("utf-8", errors="ignore")
        return text[len(prev) :]

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path: str) -> LlamaHFTokenizer:
        """``transformers.AutoTokenizer.from_pretrained`` wrapped (needs ``pip install transformers``)."""
        try:
            from transformers import AutoTokenizer
        except ImportError:
            raise ImportError("LlamaHFTokenizer.from_pretrained needs transformers: pip install transformers") from None
        return cls(AutoTokenizer.from_pretrained(pretrained_model_name_or_path=pretrained_model_name_or_path))


__all__ = ["BaseLlamaTokenizer", "LlamaTokenizer", "LlamaHFTokenizer"]
