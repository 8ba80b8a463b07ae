"""LlamaIndex reranking over llama-native: ``from llama_index.postprocessor.llama_native import LlamaCppRerank``."""

from llama_index.embeddings.llama_native.rerank import LlamaCppRerank

__all__ = ["LlamaCppRerank"]
