"""One typed request from the edge to the token loop.

Every entry point turns its caller's arguments into a :class:`ChatRequest`
or :class:`CompletionRequest` (sampling in :class:`SamplingOptions`,
structure in :class:`StructureSpec`, tools in :class:`ToolSpec`); the layers
below take that object.  See ``llama_native/README.md`` for the request's path.

Example::

    >>> from llama_native.request import CompletionRequest
    >>> CompletionRequest.from_arguments({"prompt": "Hi", "max_tokens": 4, "stop": "\\n"}).stop
    ('\\n',)
"""

from .requests import ChatRequest, CompletionRequest
from .sampling import SamplingOptions
from .structure import StructureSpec
from .tools import ToolSpec, normalize_tool_choice

__all__ = ["ChatRequest", "CompletionRequest", "SamplingOptions", "StructureSpec", "ToolSpec", "normalize_tool_choice"]
