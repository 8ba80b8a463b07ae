"""LlamaIndex embeddings over llama-native: ``from llama_index.embeddings.llama_native import LlamaCPPEmbedding``."""

from .base import LlamaCPPEmbedding
from .rerank import LlamaCppRerank

__all__ = ["LlamaCPPEmbedding", "LlamaCppRerank"]
