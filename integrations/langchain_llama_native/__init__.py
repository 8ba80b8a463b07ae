"""LangChain models over llama-native: ``ChatLlamaCpp``, ``LlamaCpp``, ``LlamaCppEmbeddings``, ``LlamaCppRerank``.

Drop-in replacements for langchain-community's classes of the same names::

    from langchain_llama_native import ChatLlamaCpp
    chat = ChatLlamaCpp(model_path="model.gguf", temperature=0)
    person = chat.with_structured_output(Person).invoke("Jason is 30 years old")
"""

from ._params import MODEL_PATH_ENV
from .chat_models import ChatLlamaCpp
from .embeddings import LlamaCppEmbeddings
from .llms import LlamaCpp
from .rerank import LlamaCppRerank

__all__ = ["ChatLlamaCpp", "LlamaCpp", "LlamaCppEmbeddings", "LlamaCppRerank", "MODEL_PATH_ENV"]
