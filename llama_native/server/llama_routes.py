"""llama-server's own API beside OpenAI's: ``/completion``, ``/tokenize``, ``/props``, ``/infill``, ...

The routes run on the same models, :class:`~llama_native.server.admission.Admission`
and disconnect watch as the OpenAI routes, and answer with llama-server's
request and response shapes (``tools/server/README.md`` of the pinned
llama.cpp): ``content``, ``tokens``, ``stop_type``, ``timings``,
``generation_settings``, ... and its error object
``{"error": {"code", "message", "type"}}`` (with ``n_prompt_tokens`` and
``n_ctx`` for a prompt that does not fit).  Streams are llama-server's:
``data: {...}`` lines, the last one with ``"stop": true`` and the timings,
and no ``[DONE]``.  Routes: ``POST /completion`` and ``/completions``,
``/infill``, ``/tokenize``, ``/detokenize``, ``/apply-template``,
``/chat/completions/input_tokens`` (also under ``/v1``), ``/embedding`` and
``/embeddings``; ``GET /props`` (``POST /props`` is 501, as llama-server
without ``--props``) and ``GET /models``.

Example::

    >>> from fastapi.testclient import TestClient
    >>> from llama_native.server import ServerSettings, ModelEntry, create_app
    >>> from llama_native.testing import synthetic_model_path
    >>> app = create_app(ServerSettings(models=[ModelEntry("tiny", str(synthetic_model_path()), {"n_ctx": 256})]))
    >>> with TestClient(app) as client:
    ...     out = client.post("/completion", json={"prompt": "hi", "n_predict": 3, "temperature": 0}).json()
    >>> out["stop_type"], out["tokens_predicted"]
    ('limit', 3)
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, ValidationError

from ..grammar import LlamaGrammar
from ..llama import ContextOverflowError, Llama
from ..request import CompletionRequest
from ..runtime.embedding import token_embeddings
from .errors import ApiError
from .infill import LLAMA_SERVER_N_BATCH, infill_tokens
from .llama_bodies import (
    DetokenizeBody,
    EmbeddingBody,
    GenerationBody,
    InfillBody,
    MessagesBody,
    NativeCompletionBody,
    TokenizeBody,
)  # fmt: skip
from .llama_completion import Collected, collect, final_response, partial_response
from .llama_shapes import LlamaServerError, context_overflow, models, props

B = TypeVar("B", bound=BaseModel)


async def parse(request: Request, model: type[B]) -> B:
    """The JSON body as ``model``; a bad body is llama-server's 400 naming the problem."""
    try:
        data = json.loads(await request.body() or b"{}")
    except ValueError as exc:
        raise LlamaServerError(400, f"the body is not valid JSON: {exc}") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err.get("loc", ())) or "body"
            ctx = err.get("ctx") or {}
            problems.append(f"{where}: {ctx['error'] if 'error' in ctx else err.get('msg')}")
        raise LlamaServerError(400, "; ".join(problems)) from None


#: what a failure means for the client, and the disconnect/timeout watch: the OpenAI routes' own (set by install)
_Hooks = tuple[Callable[[BaseException], ApiError], Callable[[Request, Awaitable[Any], float], Awaitable[Any]]]


def native_error(exc: BaseException, api_error: Callable[[BaseException], ApiError]) -> LlamaServerError:
    """A failure of a model call as llama-server answers it on its own routes (``api_error``: the OpenAI one's)."""
    if isinstance(exc, ContextOverflowError):
        return context_overflow(exc.prompt_tokens, exc.n_ctx)
    return LlamaServerError.of(api_error(exc))


def prompt_tokens_of(llm: Llama, prompt: str | list[int | str]) -> str | list[int]:
    """A prompt as llama-server reads it: text stays text, a list of ids and texts becomes ids."""
    if isinstance(prompt, str):
        return prompt
    ids: list[int] = []
    for i, part in enumerate(prompt):
        if isinstance(part, str):
            ids.extend(llm.tokenize(part.encode(), add_bos=i == 0, special=True))
        else:
            ids.append(int(part))
    return ids


def completion_request(llm: Llama, body: GenerationBody, prompt: str | list[int], **extra: Any) -> CompletionRequest:
    """The typed request of a ``/completion`` body (always streamed inside: the route collects it)."""
    args: dict[str, Any] = {
        **body.sampling(), "prompt": prompt, "max_tokens": body.token_limit() or 0, "stop": body.stop or None,
        "stream": True, "json_schema": body.json_schema, "grammar": body.grammar,
        "logit_bias": body.logit_bias_map(llm.eog_tokens()), **extra,
    }  # fmt: skip
    if body.n_probs:
        args["logprobs"] = body.n_probs
    if body.grammar and (body.grammar_lazy or body.generation_prompt):
        patterns, tokens = body.lazy_triggers() if body.grammar_lazy else ([], [])
        grammar = LlamaGrammar(body.grammar, trigger_patterns=patterns, trigger_tokens=tokens)
        grammar.prefill = body.generation_prompt
        args["grammar"] = grammar
    sampling_extra = {k: args.pop(k) for k in ("top_n_sigma",) if k in args}
    request = CompletionRequest.from_arguments({k: v for k, v in args.items() if v is not None}, sampling_extra)
    slot = body.id_slot if body.id_slot >= 0 else None
    return request.replace(token_ids=True, logprobs_shape="llama", slot=slot)


def install_llama_routes(app: FastAPI, hooks: _Hooks) -> None:
    """Add llama-server's routes to ``app`` (made by :func:`llama_native.server.app.create_app`).

    ``hooks``: the app's ``(error for an exception, disconnect and timeout watch)``, shared with its OpenAI routes.
    """
    state = app.state
    api_error, watch = hooks

    async def guarded(request: Request, route: str, work: Callable[[], Awaitable[Any]]) -> Any:
        """``work()`` under admission, the disconnect watch and the timeout; errors in llama-server's shape."""
        ticket = state.admission.enter()
        try:
            result = await watch(request, work(), state.settings.request_timeout)
        except asyncio.CancelledError:
            state.metrics.request(route, 499)
            raise
        except BaseException as exc:
            error = native_error(exc, api_error)
            state.metrics.request(route, error.status)
            raise error from None
        finally:
            ticket.release()
        state.metrics.request(route, 200)
        return result

    async def generate(request: Request, body: GenerationBody, prompts: list[str | list[int]], route: str,
                       extra: dict[str, Any] | None = None) -> Response:  # fmt: skip
        alias, llm = await state.registry.chat_model(body.model)
        if body.stream and len(prompts) > 1:
            raise LlamaServerError(400, "several prompts cannot be streamed in one request")
        requests = []
        for p in prompts:
            try:
                requests.append(completion_request(llm, body, p, **(extra or {})))
            except Exception as exc:  # noqa: BLE001 - a refused argument is the client's 400
                raise native_error(exc, api_error) from None
        if body.stream:
            return await stream(request, route, alias, llm, body, requests[0])

        async def run_all() -> list[dict[str, Any]]:
            out = []
            for r in requests:
                started = time.monotonic()
                got = await collect(await llm.arun(r), started)
                out.append(final_response(got, body, alias, llm, r.prompt))
            return out

        results = await guarded(request, route, run_all)
        return JSONResponse(results[0] if len(results) == 1 else results)

    async def stream(request: Request, route: str, alias: str, llm: Llama, body: GenerationBody,
                     typed: CompletionRequest) -> Response:  # fmt: skip
        ticket = state.admission.enter()
        started = time.monotonic()
        chunks: AsyncGenerator[dict[str, Any], None] = await llm.arun(typed)
        got = Collected(started)
        p = typed.prompt
        n_prompt = len(llm.tokenize(p, add_bos=True, special=True)) if isinstance(p, (str, bytes)) else len(p)
        try:  # the first chunk before any byte: a prompt that does not fit is a 400, not an event
            first = await asyncio.wait_for(anext(chunks), state.settings.request_timeout)
        except StopAsyncIteration:
            first = None
        except BaseException as exc:
            ticket.release()
            error = native_error(exc, api_error)
            state.metrics.request(route, error.status)
            await chunks.aclose()
            raise error from None

        async def events() -> AsyncIterator[bytes]:
            status = 200
            try:
                chunk = first
                while chunk is not None:
                    piece = got.add(chunk)
                    if piece is not None:
                        yield _event(partial_response(piece, got, body, n_prompt))
                    chunk = await anext(chunks, None)
                yield _event(final_response(got, body, alias, llm, typed.prompt, streamed=True))
            except (asyncio.CancelledError, GeneratorExit):
                status = 499
                raise
            except Exception as exc:  # noqa: BLE001 - the stream has started: the error goes in it
                error = native_error(exc, api_error)
                status = error.status
                yield _event(error.body())
            finally:
                ticket.release()
                state.metrics.request(route, status)
                await chunks.aclose()

        return StreamingResponse(events(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})  # fmt: skip

    @app.post("/completion")
    @app.post("/completions")
    async def completion(request: Request) -> Response:
        body = await parse(request, NativeCompletionBody)
        alias, llm = await state.registry.chat_model(body.model)
        p = body.prompt
        several = isinstance(p, list) and any(isinstance(x, list) for x in p) or (
            isinstance(p, list) and len(p) > 1 and all(isinstance(x, str) for x in p)
        )
        raw: list[Any] = list(p) if several and isinstance(p, list) else [p]
        return await generate(request, body, [prompt_tokens_of(llm, x) for x in raw], "completion")

    @app.post("/infill")
    async def infill(request: Request) -> Response:
        body = await parse(request, InfillBody)
        alias, llm = await state.registry.chat_model(body.model)
        m = llm._model
        missing = [name for name, t in (("prefix", m.token_fim_pre), ("suffix", m.token_fim_suf),
                                        ("middle", m.token_fim_mid)) if t < 0]  # fmt: skip
        if missing:
            what = " ".join(f"{name} token is missing." for name in missing)
            raise LlamaServerError(501, f"Infill is not supported by this model: {what}")
        prompt = llm.tokenize(body.prompt.encode(), add_bos=False, special=True) if body.prompt else []
        tokens = infill_tokens(
            m, body.input_prefix, body.input_suffix, body.input_extra, prompt, n_batch=LLAMA_SERVER_N_BATCH,
            n_predict=state.settings.n_predict, n_ctx=llm.n_ctx(), spm=llm.spm_infill,
        )  # fmt: skip
        return await generate(request, body, [tokens], "infill")

    @app.post("/tokenize")
    async def tokenize(request: Request) -> Response:
        body = await parse(request, TokenizeBody)
        _, llm = await state.registry.chat_model(body.model)
        if body.content is None:
            return JSONResponse({"tokens": []})
        if isinstance(body.content, str):
            ids = llm.tokenize(body.content.encode(), add_bos=body.add_special, special=body.parse_special)
        else:
            ids = []
            for i, part in enumerate(body.content):
                if isinstance(part, str):
                    first = body.add_special and i == 0
                    ids.extend(llm.tokenize(part.encode(), add_bos=first, special=body.parse_special))
                else:
                    ids.append(part)
        if not body.with_pieces:
            return JSONResponse({"tokens": ids})
        out = []
        for t in ids:
            raw = llm.token_to_piece(t, special=True)
            try:
                piece: Any = raw.decode("utf-8")
            except UnicodeDecodeError:
                piece = list(raw)
            out.append({"id": t, "piece": piece})
        return JSONResponse({"tokens": out})

    @app.post("/detokenize")
    async def detokenize(request: Request) -> Response:
        body = await parse(request, DetokenizeBody)
        _, llm = await state.registry.chat_model(body.model)
        n_vocab = llm.n_vocab()
        bad = [t for t in body.tokens if not 0 <= t < n_vocab]
        if bad:
            raise LlamaServerError(400, f"tokens: {bad[0]} is not a token id of this model (0 to {n_vocab - 1})")
        text = llm.detokenize(body.tokens, special=True).decode("utf-8", "replace")
        return JSONResponse({"content": text})

    async def rendered(request: Request) -> tuple[Llama, str, bool]:
        body = await parse(request, MessagesBody)
        _, llm = await state.registry.chat_model(body.model)
        try:
            out = llm.chat_formatter(messages=body.messages, tools=body.tools)
        except Exception as exc:  # noqa: BLE001 - a template that cannot render these messages
            raise LlamaServerError(400, f"the chat template could not render the messages: {exc}") from None
        return llm, out.prompt, out.added_special

    @app.post("/apply-template")
    async def apply_template(request: Request) -> Response:
        _, prompt, _ = await rendered(request)
        return JSONResponse({"prompt": prompt})

    @app.post("/chat/completions/input_tokens")
    @app.post("/v1/chat/completions/input_tokens")
    async def input_tokens(request: Request) -> Response:
        llm, prompt, added = await rendered(request)
        ids = llm.tokenize(prompt.encode(), add_bos=not added, special=True)
        return JSONResponse({"input_tokens": len(ids), "object": "response.input_tokens"})

    @app.post("/embedding")
    @app.post("/embeddings")
    async def embedding(request: Request) -> Response:
        body = await parse(request, EmbeddingBody)
        alias, llm = await state.registry.embedding_model(body.model)
        texts = body.texts()

        if llm.pooling_type() == 0:  # no pooling: every token's vector, unnormalized, as llama-server

            async def rows() -> Any:
                ctx, n_batch = llm._context(), llm.context_params["n_batch"]
                return await asyncio.to_thread(token_embeddings, llm._model, ctx, n_batch, texts)

            per_token = await guarded(request, "embedding", rows)
            return JSONResponse([{"index": i, "embedding": v} for i, v in enumerate(per_token)])

        async def work() -> Any:
            return await llm.aembed(texts, normalize=body.embd_normalize, truncate=False, per_token=False)

        vectors = await guarded(request, "embedding", work)
        return JSONResponse([{"index": i, "embedding": [v]} for i, v in enumerate(vectors)])

    @app.get("/props")
    async def get_props() -> Response:
        alias = state.registry.aliases()[0]
        _, llm = await state.registry.chat_model(alias)
        entry = state.registry.entries[alias]
        return JSONResponse(props(alias, llm, entry.path, state.registry.total_slots()))

    @app.post("/props")
    async def post_props() -> Response:
        raise LlamaServerError(501, "This server does not support changing global properties. Start it with `--props`")

    @app.get("/models")
    @app.get("/v1/models")  # OpenAI's list, with llama-server's keys beside (as llama-server answers both)
    async def list_models() -> Response:
        loaded: list[tuple[str, Llama | None]] = []
        for alias in state.registry.aliases():
            ready = state.registry.states()[alias].get("state") == "ready"
            loaded.append((alias, (await state.registry.chat_model(alias))[1] if ready else None))
        return JSONResponse(models(loaded))


def _event(data: Any) -> bytes:
    return b"data: " + json.dumps(data, separators=(",", ":")).encode() + b"\n\n"
