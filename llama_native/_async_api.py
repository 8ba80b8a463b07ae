"""Async completions: awaitables and async iterators that never block the event loop (a mixin of Llama).

Each call runs the synchronous generation on a thread of its own (the token
loop releases the GIL), so the event loop keeps running.  A thread per call
rather than a shared pool: a caller waiting for the context must never hold
the worker the context's current user needs for its next token.  Cancelling
the awaiting task, or leaving an ``async for`` early, cancels that call's
native generation; it stops within one token and frees the context.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

_END = object()


class AsyncMixin:
    """``acreate_completion`` / ``acreate_chat_completion`` (and ``stream=True`` as async iterators)."""

    _active: list
    _active_lock: threading.Lock

    def _cancel_thread_generations(self, thread_id: int | None) -> None:
        if thread_id is None:
            return
        with self._active_lock:
            mine = [g for g, owner in self._active if owner == thread_id]
        for generator in mine:
            generator.cancel()

    async def _run_in_own_thread(self, work: Callable[[], Any]) -> Any:
        loop = asyncio.get_running_loop()
        future: asyncio.Future = loop.create_future()
        thread_id: dict[str, int] = {}

        def deliver(setter: Callable[[Any], None], value: Any) -> None:
            if not future.done():
                setter(value)

        def run() -> None:
            thread_id["id"] = threading.get_ident()
            try:
                result = work()
            except BaseException as exc:  # noqa: BLE001 - handed to the awaiting task
                loop.call_soon_threadsafe(deliver, future.set_exception, exc)
            else:
                loop.call_soon_threadsafe(deliver, future.set_result, result)

        threading.Thread(target=run, name="llama-native-call", daemon=True).start()
        try:
            return await future
        except asyncio.CancelledError:
            self._cancel_thread_generations(thread_id.get("id"))
            raise

    async def _stream_in_own_thread(self, make_iterator: Callable[[], Iterator[Any]]) -> AsyncIterator[Any]:
        loop = asyncio.get_running_loop()
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="llama-native-stream")
        thread_id: int | None = None
        iterator: Iterator[Any] | None = None
        finished = False
        try:
            thread_id = await loop.run_in_executor(executor, threading.get_ident)
            iterator = await loop.run_in_executor(executor, make_iterator)
            while True:
                chunk = await loop.run_in_executor(executor, next, iterator, _END)
                if chunk is _END:
                    finished = True
                    return
                yield chunk
        finally:
            if not finished:
                self._cancel_thread_generations(thread_id)  # stops within one token
            if iterator is not None:
                close = getattr(iterator, "close", None)
                if close is not None:
                    executor.submit(close)  # frees the context, on the thread that ran it
            executor.shutdown(wait=False)

    async def acreate_completion(self, *args: Any, **kwargs: Any) -> Any:
        """Awaitable :meth:`create_completion`; with ``stream=True`` an async iterator of chunks.

        Example::

            >>> import asyncio
            >>> from llama_native import Llama
            >>> from llama_native.testing import synthetic_model_path
            >>> llm = Llama(str(synthetic_model_path()), n_ctx=128)
            >>> async def main():
            ...     out = await llm.acreate_completion("x", max_tokens=3, grammar='root ::= "ok"')
            ...     chunks = [c async for c in await llm.acreate_completion("x", max_tokens=3, stream=True)]
            ...     return out["choices"][0]["text"], chunks[-1]["choices"][0]["finish_reason"] is not None
            >>> asyncio.run(main())
            ('ok', True)
        """
        if kwargs.get("stream"):
            return self._stream_in_own_thread(lambda: self.create_completion(*args, **kwargs))  # type: ignore[attr-defined]
        return await self._run_in_own_thread(lambda: self.create_completion(*args, **kwargs))  # type: ignore[attr-defined]

    async def acreate_chat_completion(self, *args: Any, **kwargs: Any) -> Any:
        """Awaitable :meth:`create_chat_completion`; with ``stream=True`` an async iterator of chunks."""
        if kwargs.get("stream"):
            return self._stream_in_own_thread(lambda: self.create_chat_completion(*args, **kwargs))  # type: ignore[attr-defined]
        return await self._run_in_own_thread(lambda: self.create_chat_completion(*args, **kwargs))  # type: ignore[attr-defined]
