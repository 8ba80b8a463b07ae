"""LlamaIndex LLM over llama-native: ``from llama_index.llms.llama_native import LlamaCPP``."""

from .base import LlamaCPP

__all__ = ["LlamaCPP"]
