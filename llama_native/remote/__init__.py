"""The remote backend: the same API over llama.cpp server fleets and OpenAI-compatible servers.

Example::

    >>> from llama_native.remote import RemoteLlama
    >>> RemoteLlama("http://127.0.0.1:8080")
    RemoteLlama(['http://127.0.0.1:8080'], api='auto')
"""

from .client import RemoteLlama
from .errors import RemoteConnectionError, RemoteError, RemoteStreamError, RemoteTimeoutError
from .pool import ServerPool

__all__ = [
    "RemoteConnectionError",
    "RemoteError",
    "RemoteLlama",
    "RemoteStreamError",
    "RemoteTimeoutError",
    "ServerPool",
]
