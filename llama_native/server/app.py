"""The FastAPI application: OpenAI's endpoints over :class:`llama_native.Llama`, plus health and metrics.

Requests run on the models' async API (a thread per request, the event
loop never blocked); a model loaded with ``n_parallel`` slots decodes the
requests together by continuous batching.  :class:`Admission` bounds what
waits: past the running slots and ``max_queue`` waiting requests the server
answers 503 with ``Retry-After``.  A client that disconnects cancels its
generation (within one token); a request past ``request_timeout`` gets 504.
Errors carry OpenAI's error object and status codes (:mod:`llama_native.server.errors`),
unhandled exceptions included.

Example::

    >>> from fastapi.testclient import TestClient
    >>> from llama_native.server import ServerSettings, ModelEntry, create_app
    >>> from llama_native.testing import synthetic_model_path
    >>> app = create_app(ServerSettings(models=[ModelEntry("tiny", str(synthetic_model_path()), {"n_ctx": 256})]))
    >>> with TestClient(app) as client:
    ...     reply = client.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": "hi"}],
    ...                                                       "max_tokens": 4, "temperature": 0})
    >>> reply.status_code, reply.json()["object"], reply.json()["model"]
    (200, 'chat.completion', 'tiny')
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from .. import __version__
from ..llama import ContextOverflowError
from ..schema import SchemaValidationError, UnsupportedSchemaError
from ..timings import merge_timings
from . import embeddings as embedding_route
from .access_log import AccessLogMiddleware, note
from .admission import Admission
from .errors import ApiError, install_error_handlers
from .llama_routes import install_llama_routes
from .llama_server_flags import apply_request_defaults
from .metrics import ServerMetrics
from .middleware import ApiKeyMiddleware, BodyLimitMiddleware, cors_options
from .registry import ModelRegistry
from .requests import ChatCompletionRequest, CompletionRequest, EmbeddingRequest
from .rerank import install_rerank_routes
from .settings import ServerSettings
from .slots import SlotBoard, install_slot_routes


def _api_error(exc: BaseException) -> ApiError:
    """What a failure in a model call means for the client."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, ContextOverflowError):
        return ApiError(400, str(exc), "invalid_request_error", code="context_length_exceeded", param="messages")
    if isinstance(exc, SchemaValidationError):
        return ApiError(500, f"the model could not finish output valid for the schema: {exc}", "server_error")
    if isinstance(exc, (ValueError, TypeError, UnsupportedSchemaError, NotImplementedError)):
        return ApiError(400, str(exc), "invalid_request_error")
    return ApiError(500, f"internal error: {type(exc).__name__}: {exc}", "server_error")


def _openai_first_delta(chunk: dict[str, Any]) -> None:
    """OpenAI's first chat chunk: the role with ``content: ""``.

    The Python API's first chunk carries the role only, as llama-cpp-python's does.
    """
    for choice in chunk.get("choices") or ():
        delta = choice.get("delta")
        if isinstance(delta, dict) and delta.keys() == {"role"}:
            delta["content"] = ""


def _sse(data: Any) -> bytes:
    return b"data: " + json.dumps(data, separators=(",", ":")).encode() + b"\n\n"


async def _watch_disconnect(request: Request, work: Awaitable[Any], timeout: float) -> Any:
    """``work``'s result; cancelled (its generation stopped) when the client leaves or the time is up."""
    task = asyncio.ensure_future(work)
    deadline = time.monotonic() + timeout
    try:
        while True:
            done, _ = await asyncio.wait({task}, timeout=0.1)
            if done:
                return task.result()
            if await request.is_disconnected():
                task.cancel()
                raise ApiError(499, "the client closed the request", "invalid_request_error")
            if time.monotonic() > deadline:
                task.cancel()
                raise ApiError(504, f"the request took longer than {timeout:g} s (request_timeout)", "server_error")
    finally:
        if not task.done():
            task.cancel()


def create_app(settings: ServerSettings) -> FastAPI:
    """The application for ``settings``: its models load at startup, or on first use if ``settings.lazy``.

    ``llama-native serve`` loads them before it binds (:func:`llama_native.server.main`);
    an application served otherwise loads them in its lifespan's startup, which fails
    (:class:`~llama_native.server.registry.StartupError`) when one cannot be served.
    """
    registry = ModelRegistry(settings.models)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if not settings.lazy:
            await asyncio.to_thread(registry.load_all)  # nothing left to do once main() has loaded them
        yield

    app = FastAPI(
        title="llama-native",
        version=__version__,
        description="OpenAI-compatible API over local GGUF models, with schema-guided generation.",
        lifespan=lifespan,
    )
    metrics = ServerMetrics()
    slot_board = SlotBoard(registry, settings.slot_save_path)
    admission = Admission(slots=registry.total_slots(), max_queue=settings.max_queue, metrics=metrics)
    app.state.settings, app.state.registry, app.state.metrics, app.state.admission = (
        settings, registry, metrics, admission
    )  # fmt: skip

    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    if settings.api_keys:
        app.add_middleware(ApiKeyMiddleware, api_keys=settings.api_keys, open_paths={"/health"})
    if settings.cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(
            CORSMiddleware, **cors_options(settings.cors_origins, settings.cors_methods, settings.cors_headers)
        )

    app.add_middleware(AccessLogMiddleware)  # outermost: sees every request's final status
    install_error_handlers(app)
    install_slot_routes(app, slot_board)

    @app.get("/health")
    async def health() -> dict[str, Any]:
        # "status" as llama-server's /health; each model's loading state beside it
        return {"status": "ok", "models": registry.aliases(), "model_states": registry.states()}

    @app.get("/metrics")
    async def prometheus_metrics() -> Response:
        return Response(metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8")

    async def run(
        request: Request,
        route: str,
        make: Callable[[], Awaitable[Any]],
        stream: bool,
        include_usage: bool,
        alias: str,
    ) -> Response:
        ticket = admission.enter()
        slot_board.enter(alias)
        started = time.monotonic()
        if not stream:
            try:
                result = await _watch_disconnect(request, make(), settings.request_timeout)
            except BaseException as exc:
                ticket.release()
                slot_board.leave(alias)
                error = _api_error(exc)
                metrics.request(route, error.status)
                if isinstance(exc, asyncio.CancelledError):
                    raise
                raise error from None
            ticket.release()
            slot_board.leave(alias)
            metrics.request(route, 200)
            metrics.finished(result.get("usage"), started, None)
            result["model"] = alias
            note(request.scope, model=alias, usage=result.get("usage"), timings=result.get("timings"))
            return JSONResponse(result)
        chunks = None
        try:  # the first chunk before any byte: a prompt that cannot run is a 400, not a 200 and an error event
            chunks = await make()
            first = await _watch_disconnect(request, _first(chunks), settings.request_timeout)
        except BaseException as exc:
            ticket.release()
            slot_board.leave(alias)
            metrics.request(route, _api_error(exc).status)
            close = getattr(chunks, "aclose", None)
            if close is not None:
                await close()
            if isinstance(exc, asyncio.CancelledError):
                raise
            raise _api_error(exc) from None
        return StreamingResponse(
            _stream(_prepend(first, chunks), ticket, route, started, include_usage, alias, request.scope),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    async def _stream(
        chunks: AsyncIterator[dict[str, Any]],
        ticket: Any,
        route: str,
        started: float,
        include_usage: bool,
        alias: str,
        scope: Any = None,
    ) -> AsyncIterator[bytes]:
        first_token: float | None = None
        usage = None
        timings = None
        status = 200
        try:
            async for chunk in chunks:
                if time.monotonic() - started > settings.request_timeout:
                    status = 504
                    yield _sse(ApiError(504, "the request took longer than request_timeout", "server_error").body())
                    return
                chunk["model"] = alias
                _openai_first_delta(chunk)
                usage = chunk.pop("usage", None) or usage
                timings = chunk.get("timings") or timings
                if first_token is None:
                    first_token = time.monotonic()
                yield _sse(chunk)
            if include_usage and usage is not None:
                last = {k: v for k, v in chunk.items() if k != "choices"}
                yield _sse({**last, "choices": [], "usage": usage})
            yield b"data: [DONE]\n\n"
        except (asyncio.CancelledError, GeneratorExit):
            status = 499
            raise
        except Exception as exc:  # noqa: BLE001 - the stream has started: the error goes in it
            error = _api_error(exc)
            status = error.status
            yield _sse(error.body())
        finally:
            ticket.release()
            slot_board.leave(alias)
            metrics.request(route, status)
            metrics.finished(usage, started, first_token)
            if scope is not None:
                ttft = None if first_token is None else (first_token - started) * 1e3
                note(scope, model=alias, usage=usage, timings=timings, ttft_ms=ttft)
            close = getattr(chunks, "aclose", None)
            if close is not None:
                await close()

    @app.post("/v1/chat/completions")
    @app.post("/chat/completions")
    async def chat_completions(body: ChatCompletionRequest, request: Request) -> Response:
        alias, llm = await registry.chat_model(body.model)
        apply_request_defaults(body, settings)

        async def make() -> Any:
            return await _n_choices(lambda **changes: llm.arun(body.to_request(**changes)), body.n, body.seed)

        include = bool(body.stream_options and body.stream_options.include_usage)
        return await run(request, "chat", make, body.stream, include, alias)

    @app.post("/v1/completions")
    async def completions(body: CompletionRequest, request: Request) -> Response:
        alias, llm = await registry.chat_model(body.model)
        apply_request_defaults(body, settings)
        prompts = body.prompts()
        if body.stream and len(prompts) > 1:
            raise ApiError(400, "several prompts cannot be streamed in one request", "invalid_request_error", "prompt")

        async def make() -> Any:
            results = []
            for prompt in prompts:
                run = lambda **kw: llm.arun(body.to_request(prompt, **kw))  # noqa: E731, B023 (awaited here)
                results.append(await _n_choices(run, body.n, body.seed))
            return results[0] if body.stream else _merge_choices(results)

        include = bool(body.stream_options and body.stream_options.include_usage)
        return await run(request, "completions", make, body.stream, include, alias)

    @app.post("/v1/embeddings")
    async def embeddings(body: EmbeddingRequest, request: Request) -> Response:
        alias, llm = await registry.embedding_model(body.model)

        async def make() -> Any:
            return await asyncio.to_thread(embedding_route.create, llm, body, alias)

        return await run(request, "embeddings", make, False, False, alias)

    install_llama_routes(app, (_api_error, _watch_disconnect))  # llama-server's own routes
    install_rerank_routes(app, registry, run)
    return app


async def _first(chunks: AsyncIterator[dict[str, Any]]) -> dict[str, Any] | None:
    """The stream's first chunk (``None`` if it has none)."""
    try:
        return await chunks.__anext__()
    except StopAsyncIteration:
        return None


async def _prepend(
    first: dict[str, Any] | None, chunks: AsyncIterator[dict[str, Any]]
) -> AsyncIterator[dict[str, Any]]:
    """``first`` (when there is one), then the rest of ``chunks`` (closed at the end)."""
    try:
        if first is not None:
            yield first
            async for chunk in chunks:
                yield chunk
    finally:
        close = getattr(chunks, "aclose", None)
        if close is not None:
            await close()


async def _n_choices(call: Callable[..., Awaitable[Any]], n: int, seed: int | None) -> Any:
    """``n`` completions of one request as one result with ``n`` choices (usage summed, prompt counted once).

    ``call(**changes)`` runs the request (with ``changes``, such as another seed).
    """
    if n == 1:
        return await call()
    results = []
    for i in range(n):  # distinct seeds: n identical choices would be of no use
        results.append(await call(seed=None if seed is None else seed + i))
    return _merge_choices(results, same_prompt=True)


def _merge_choices(results: list[dict[str, Any]], same_prompt: bool = False) -> dict[str, Any]:
    if len(results) == 1:
        return results[0]
    merged = dict(results[0])
    merged["choices"] = [dict(c, index=i) for i, r in enumerate(results) for c in r["choices"]]
    usage = dict(results[0]["usage"])
    for r in results[1:]:
        usage["completion_tokens"] += r["usage"]["completion_tokens"]
        if not same_prompt:
            usage["prompt_tokens"] += r["usage"]["prompt_tokens"]
    usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
    merged["usage"] = usage
    if all("timings" in r for r in results):  # counted as the usage is
        merged["timings"] = merge_timings([r["timings"] for r in results], same_prompt)
    return merged
