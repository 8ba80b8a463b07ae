"""LlamaIndex embeddings over llama-native: ``from llama_index.embeddings.llama_native import LlamaCPPEmbedding``."""

from .base import LlamaCPPEmbedding

__all__ = ["LlamaCPPEmbedding"]
