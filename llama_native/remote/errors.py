"""Errors of the remote backend; each names the server it comes from.

Example::

    >>> error = RemoteError("answered 500: out of memory", server="http://10.0.0.2:8080")
    >>> str(error)
    'http://10.0.0.2:8080: answered 500: out of memory'
"""

from __future__ import annotations


class RemoteError(RuntimeError):
    """A server answered with an error, or with something that is not what its API promises."""

    def __init__(self, message: str, *, server: str | None = None, status: int | None = None) -> None:
        super().__init__(f"{server}: {message}" if server else message)
        self.server = server
        self.status = status


class RemoteConnectionError(RemoteError, ConnectionError):
    """No server could be reached (after the retries), or every server is marked down."""


class RemoteTimeoutError(RemoteError, TimeoutError):
    """A server did not answer within the timeout."""


class RemoteStreamError(RemoteError):
    """A stream broke off before its end: what arrived is not the whole output."""
