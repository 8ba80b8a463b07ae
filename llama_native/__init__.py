"""llama_native: llama.cpp compiled as a Python extension.

Example::

    >>> from llama_native import Llama, LlamaGrammar
    >>> from llama_native.testing import synthetic_model_path
    >>> llm = Llama(str(synthetic_model_path()), n_ctx=256)
    >>> out = llm("The answer is", max_tokens=4, grammar=LlamaGrammar.from_string('root ::= [0-9]+'))
    >>> out["choices"][0]["text"].isdigit()
    True
"""

from __future__ import annotations

from typing import TYPE_CHECKING

# _cpu_check first: a CPU lacking the build's instruction sets gets an ImportError, not SIGILL;
# _logging installs the log bridge; compat installs the import hook that keeps llama-cpp-python's module names
# (llama_native.llama_types, ...) for the modules in llama_native/compat/, before anything imports them
from . import _cpu_check, _logging, compat  # noqa: F401
from .cache import LlamaCache, LlamaDiskCache, LlamaRAMCache, LlamaState
from .chat import ChatFormatterResponse, Jinja2ChatFormatter, register_chat_format
from .constants import *  # noqa: F403  (llama.cpp's enum constants, as llama_cpp exports them)
from .constants import __all__ as _constants
from .default_model import MICRO_MODEL_PATH, default_model_path
from .grammar import LlamaGrammar
from .llama import LLAMA_DEFAULT_SEED, ContextOverflowError, Llama, ModelLoadError
from .schema import (
    SchemaValidationError,
    UnsupportedSchemaError,
    json_schema_to_gbnf,
    object_from_schema,
    schema_system_prompt,
)
from .speculative import LlamaPromptLookupDecoding, PromptLookupDecoding
from .stopping import (
    LogitsProcessor,
    LogitsProcessorList,
    MinTokensLogitsProcessor,
    StoppingCriteria,
    StoppingCriteriaList,
)
from .system import SystemInfo, system_info
from .truncation import OutputTruncatedError

__version__ = "0.1.0"

__all__ = [
    "Llama",
    "LlamaGrammar",
    "ModelLoadError",
    "ContextOverflowError",
    "OutputTruncatedError",
    "LLAMA_DEFAULT_SEED",
    "__version__",
    "json_schema_to_gbnf",
    "object_from_schema",
    "schema_system_prompt",
    "SchemaValidationError",
    "UnsupportedSchemaError",
    "PromptLookupDecoding",
    "LlamaPromptLookupDecoding",
    "Jinja2ChatFormatter",
    "ChatFormatterResponse",
    "register_chat_format",
    "LlamaCache",
    "LlamaRAMCache",
    "LlamaDiskCache",
    "default_model_path",
    "MICRO_MODEL_PATH",
    "LlamaState",
    "LogitsProcessor",
    "LogitsProcessorList",
    "StoppingCriteria",
    "StoppingCriteriaList",
    "MinTokensLogitsProcessor",
    "system_info",
    "SystemInfo",
    *_constants,
]

if not TYPE_CHECKING:  # type checkers see llama_native/<name>.pyi instead (and no catch-all attribute)

    def __getattr__(name: str) -> object:
        """``llama_native.llama_types`` and the other compat modules as attributes, imported on first use."""
        import importlib

        if f"{__name__}.{name}" in compat.ALIASES:
            return importlib.import_module(f"{__name__}.{name}")
        if not name.startswith("_"):  # llama_cpp's top level also has llama_types' and the low-level names
            for module in compat.TOP_LEVEL_FROM:
                value = getattr(importlib.import_module(f"{compat.__name__}.{module}"), name, compat)
                if value is not compat:
                    return value
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
