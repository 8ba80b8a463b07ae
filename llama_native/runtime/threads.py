"""The threads of a ``Llama``: its running generations, and calls run off the event loop.

``ActiveGenerations`` records which native token loop runs for which thread,
so ``Llama.cancel()`` can stop them all and an async caller that leaves can
stop the one its worker thread runs.  ``run_in_own_thread`` and
``stream_in_own_thread`` run a synchronous call (or iterate a synchronous
stream) on a thread of its own, so the event loop keeps running: a thread per
call rather than a shared pool, because a caller waiting for the context must
never hold the worker the context's current user needs for its next token.
Cancelling the awaiting task, or leaving an ``async for`` early, cancels that
call's native generation; it stops within one token and frees the context.

Example::

    >>> import asyncio
    >>> from llama_native.runtime.threads import run_in_own_thread
    >>> asyncio.run(run_in_own_thread(lambda: 6 * 7, lambda thread_id: None))
    42
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

_END = object()


class ActiveGenerations:
    """The native token loops running on one model, each with the thread that runs it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[tuple[Any, int]] = []

    def add(self, loop: Any, owner: int) -> tuple[Any, int]:
        """Record ``loop`` as run by thread ``owner``; returns the entry to :meth:`remove`."""
        entry = (loop, owner)
        with self._lock:
            self._entries.append(entry)
        return entry

    def remove(self, entry: tuple[Any, int]) -> None:
        """Forget a finished loop."""
        with self._lock:
            self._entries.remove(entry)

    def loops(self) -> list[Any]:
        """Every running loop."""
        with self._lock:
            return [loop for loop, _ in self._entries]

    def of_thread(self, owner: int | None) -> list[Any]:
        """The loops thread ``owner`` runs (none for None)."""
        if owner is None:
            return []
        with self._lock:
            return [loop for loop, thread in self._entries if thread == owner]

    def cancel_thread(self, owner: int | None) -> None:
        """Cancel the loops thread ``owner`` runs (each stops within one token)."""
        for loop in self.of_thread(owner):
            loop.cancel()

    def cancel_all(self) -> None:
        """Cancel every running loop."""
        for loop in self.loops():
            loop.cancel()


async def run_in_own_thread(work: Callable[[], Any], cancel_thread: Callable[[int | None], None]) -> Any:
    """Await ``work()`` run on a new thread; a cancelled await calls ``cancel_thread(its id)``."""
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
        cancel_thread(thread_id.get("id"))
        raise


async def stream_in_own_thread(
    make_iterator: Callable[[], Any], cancel_thread: Callable[[int | None], None]
) -> AsyncIterator[Any]:
    """Iterate ``make_iterator()`` on a thread of its own; leaving early calls ``cancel_thread(its id)``."""
    loop = asyncio.get_running_loop()
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="llama-native-stream")
    thread_id: int | None = None
    iterator: Any = None
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
            cancel_thread(thread_id)  # stops within one token
        if iterator is not None:
            close = getattr(iterator, "close", None)
            if close is not None:
                executor.submit(close)  # frees the context, on the thread that ran it
        executor.shutdown(wait=False)
