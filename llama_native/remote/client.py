"""``RemoteLlama``: the :class:`llama_native.Llama` API over a fleet of servers.

``RemoteLlama("http://10.0.0.2:8080")`` (or a list of URLs) answers
``create_completion``, ``create_chat_completion`` (streaming, async, tools,
``response_format``, ``prop_order``, ``schema_prompt``), ``embed`` and
``tokenize`` as an in-process ``Llama`` does, with the same return shapes,
so the LangChain and LlamaIndex classes take it for ``base_url=...``.

``api="auto"`` (default) asks the first server it reaches: a llama.cpp
``llama-server`` (``GET /props``) becomes the token loop for our own chat
layer (:mod:`.llama_server`: same prompt, grammar and parsing as in
process); anything else is an OpenAI-compatible server (:mod:`.openai_server`:
requests passed on, outputs validated).  No request is made in the
constructor; every request has a timeout, is retried on other servers when a
connection fails or a server answers 503, and its errors name the server.

Example::

    >>> llm = RemoteLlama(["http://10.0.0.2:8080", "http://10.0.0.3:8080/v1"], timeout=60)
    >>> llm.base_urls  # nothing was contacted
    ['http://10.0.0.2:8080', 'http://10.0.0.3:8080']
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator, Sequence
from typing import Any, cast

from ..chat.completion import _with_system_text
from ..chat.formats import ChatFormatter, get_chat_formatter
from ..chat.template_layer import TemplateLayer
from ..chat.templates import Jinja2ChatFormatter
from ..images import has_images
from ..request import ChatRequest, CompletionRequest
from ..request.api import CompletionAPI
from ..request.sampling import DEFAULT_SEED, resolve_seed
from ..request.structure import check_whitespace
from ..runtime import chat as _chat_api
from ..runtime.embedding import normalize_mode, normalize_vector
from ..runtime.generation import completion_result
from ..runtime.loading import ContextOverflowError
from ..runtime.rerank import RerankResult
from ..runtime.threads import run_in_own_thread
from ..schema import schema_system_prompt
from .errors import RemoteConnectionError, RemoteError
from .llama_server import LlamaServerBackend, grammar_fields
from .openai_server import OpenAIServerBackend, ordered_schema
from .pool import ServerPool
from .rerank import remote_rerank
from .transport import Transport

APIS = ("auto", "llama.cpp", "openai")
#: what a request's prefix affinity keys on for plain completions: the prompt's first characters
AFFINITY_CHARS = 2048


def normalize_urls(base_url: str | Sequence[str]) -> list[str]:
    """``base_url`` (one URL, a comma-separated string or a list) as server roots without ``/v1``."""
    items = base_url.split(",") if isinstance(base_url, str) else list(base_url)
    urls = []
    for item in items:
        url = str(item).strip().rstrip("/")
        if url.endswith("/v1"):
            url = url[: -len("/v1")]
        if not url:
            continue
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"base_url {item!r} is not an http:// or https:// URL")
        urls.append(url)
    if not urls:
        raise ValueError(f"base_url names no server: {base_url!r}")
    return urls


def chat_affinity(messages: Sequence[dict[str, Any]], tools: Any) -> str | None:
    """The prefix a chat request shares with others: its leading system messages and its tools."""
    parts = []
    for message in messages:
        if not isinstance(message, dict) or message.get("role") not in ("system", "developer"):
            break
        parts.append(str(message.get("content")))
    if tools:
        parts.append(repr(tools))
    return "\x00".join(parts) or None


class RemoteLlama(CompletionAPI):
    """A model served by one or more servers, with :class:`llama_native.Llama`'s methods.

    Args:
        base_url: a server's URL, a comma-separated string or a list (a
            trailing ``/v1`` is dropped); every server must serve the same model.
        api: ``"auto"``, ``"llama.cpp"`` (llama-server's native endpoints: our
            grammar and tool syntax) or ``"openai"`` (``/v1`` endpoints only).
        model: the model name sent to an OpenAI-compatible server (default:
            the first it lists).
        api_key: sent as ``Authorization: Bearer ...``.
        timeout: seconds a request may wait for the server's answer (and
            between two events of a stream).
        connect_timeout: seconds to open a connection.
        max_retries: further servers (or attempts) after a connection failure or a 503.
        routing: ``"affinity"`` (requests sharing a system prompt go to the
            same server, load permitting), ``"least_busy"`` or ``"round_robin"``.
        json_whitespace: as ``Llama``'s (llama.cpp servers only).
        chat_format: a named chat format instead of the server's template (llama.cpp servers only).
        cache_prompt: llama-server reuses the longest cached prefix of the
            prompt (default); False evaluates every prompt whole.
    """

    def __init__(
        self,
        base_url: str | Sequence[str],
        *,
        api: str = "auto",
        model: str | None = None,
        api_key: str | None = None,
        timeout: float = 600.0,
        connect_timeout: float = 5.0,
        max_retries: int = 3,
        routing: str = "affinity",
        json_whitespace: str | None = None,
        chat_format: str | None = None,
        seed: int = DEFAULT_SEED,
        last_n_tokens_size: int = 64,
        cache_prompt: bool = True,
        headers: dict[str, str] | None = None,
    ) -> None:
        if api not in APIS:
            raise ValueError(f"api must be one of {', '.join(APIS)}, got {api!r}")
        for name, value in (("timeout", timeout), ("connect_timeout", connect_timeout)):
            if not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
                raise ValueError(f"{name} must be a positive number of seconds, got {value!r}")
        if not isinstance(max_retries, int) or max_retries < 0:
            raise ValueError(f"max_retries must be an integer >= 0, got {max_retries!r}")
        check_whitespace(json_whitespace)
        if chat_format is not None:
            get_chat_formatter(chat_format)  # ValueError naming the known formats
        self.base_urls = normalize_urls(base_url)
        self.model_path = model or ",".join(self.base_urls)
        self.chat_format = chat_format
        self.json_whitespace = json_whitespace or "free"
        self.seed = seed
        self.last_n_tokens_size = last_n_tokens_size
        self.cache_prompt = bool(cache_prompt)
        self.verbose = False
        self._api = None if api == "auto" else api
        self._pool = ServerPool(self.base_urls, probe=self._probe, routing=routing)
        self._transport = Transport(
            self._pool,
            timeout=float(timeout),
            connect_timeout=float(connect_timeout),
            max_retries=max_retries,
            api_key=api_key or os.environ.get("LLAMA_NATIVE_API_KEY") or None,
            headers=headers,
        )
        self._llama_server = LlamaServerBackend(self._transport)
        self._openai = OpenAIServerBackend(self._transport, model)
        self._formatter: ChatFormatter | None = None

    def _probe(self, url: str) -> bool:
        return self._transport.probe(url)

    # ------------------------------------------------------------ servers
    @property
    def api(self) -> str:
        """``"llama.cpp"`` or ``"openai"``: what the servers speak (asked of the first one reached when ``"auto"``)."""
        if self._api is None:
            try:
                _, props = self._transport.get_from_any("/props")
            except RemoteConnectionError:
                raise
            except RemoteError:  # answered, but has no /props: not llama.cpp
                props = None
            is_llama_cpp = isinstance(props, dict) and "default_generation_settings" in props
            # llama-native serve speaks both APIs: "auto" keeps OpenAI's there; api="llama.cpp" picks the native one
            if is_llama_cpp and str(props.get("build_info", "")).startswith("llama-native"):
                is_llama_cpp = False
            self._api = "llama.cpp" if is_llama_cpp else "openai"
        return self._api

    def health(self) -> dict[str, bool]:
        """Probe every server now (``GET /health``): ``{url: up}``."""
        return self._pool.check_health()

    def stats(self) -> list[dict[str, Any]]:
        """Each server's URL, requests in flight, requests sent, and whether it is up."""
        return [
            {"url": s.url, "in_flight": s.in_flight, "requests": s.requests, "up": s.healthy, "error": s.last_error}
            for s in self._pool.servers
        ]

    def n_ctx(self) -> int:
        """The context window of a server's slot (llama.cpp servers)."""
        self._need_llama_cpp("n_ctx()")
        return self._llama_server.model().n_ctx

    def tokenize(self, text: bytes | str, add_bos: bool = True, special: bool = False) -> list[int]:
        """The model's tokens for ``text``, as the server tokenizes it (llama.cpp servers)."""
        self._need_llama_cpp("tokenize()")
        return self._llama_server.tokenize(text.encode("utf-8") if isinstance(text, str) else text, add_bos, special)

    def detokenize(
        self, tokens: Sequence[int], prev_tokens: Sequence[int] | None = None, special: bool = False
    ) -> bytes:
        """The text of ``tokens`` (llama.cpp servers; ``prev_tokens`` and ``special`` run in process only)."""
        if prev_tokens is not None or special:
            raise NotImplementedError("detokenize(prev_tokens=..., special=True) runs in process only")
        self._need_llama_cpp("detokenize()")
        return self._llama_server.detokenize(list(tokens))

    @property
    def chat_template(self) -> str | None:
        """The server's chat template (llama.cpp servers)."""
        self._need_llama_cpp("chat_template")
        return self._llama_server.model().chat_template

    @property
    def chat_formatter(self) -> ChatFormatter:
        """What renders messages: ``chat_format`` if given, else the server's template, else ChatML."""
        if self._formatter is None:
            model = self._llama_server.model()
            if self.chat_format or not model.chat_template:
                self._formatter = get_chat_formatter(self.chat_format or _chat_api.DEFAULT_CHAT_FORMAT)
            else:
                formatter = Jinja2ChatFormatter(
                    model.chat_template, eos_token=model.eos_token, bos_token=model.bos_token
                )
                formatter.template_layer = TemplateLayer(None, model.chat_template, model.bos_token, model.eos_token)
                self._formatter = formatter
        return self._formatter

    def _need_llama_cpp(self, what: str) -> None:
        if self.api != "llama.cpp":
            raise NotImplementedError(f"{what} needs a llama.cpp server (these servers speak only the OpenAI API)")

    # ----------------------------------------------------------- requests
    def run(self, request: CompletionRequest | ChatRequest) -> Any:
        """Carry out a request made with :mod:`llama_native.request` on the fleet (see :meth:`Llama.run`).

        On llama.cpp servers the grammar (``grammar``, ``json_schema`` with
        ``prop_order``) is ours, and a finished output is validated as in
        process; the chat layer runs here as in process (the server's template
        renders the prompt, the schema or tool syntax makes the grammar the
        server samples under, and the reply is parsed here).  On other
        OpenAI-compatible servers the request is passed on and the finished
        output validated (see :mod:`llama_native.remote.openai_server`).
        Python hooks (``logits_processor``, ``stopping_criteria``),
        ``logprobs``, ``suffix``, ``echo`` and ``reasoning_budget`` run only in
        process and raise ``NotImplementedError`` here.
        """
        if isinstance(request, ChatRequest):
            return self._run_chat(request)
        if not isinstance(request, CompletionRequest):
            raise TypeError(f"run() takes a ChatRequest or CompletionRequest, not {type(request).__name__}")
        return self._run_completion(request)

    def _cancel_thread(self, thread_id: int | None) -> None:
        self._transport.cancel_thread(thread_id)

    def _run_completion(self, request: CompletionRequest) -> Any:
        for name, value in (
            ("logits_processor", request.logits_processor),
            ("stopping_criteria", request.stopping_criteria),
            ("logprobs", request.logprobs),
            ("suffix", request.suffix),
            ("reasoning_budget", request.reasoning_budget),
            ("reasoning_markers", request.reasoning_markers),
        ):
            if value is not None:
                raise NotImplementedError(f"{name} runs in process only; the remote backend cannot send it")
        if request.echo:
            raise NotImplementedError("echo runs in process only; the remote backend cannot send it")
        grammar = request.structure.compile(self.json_whitespace, "ours")
        prompt = request.structure.completion_prompt(request.prompt, grammar)
        validator = grammar.json_schema if grammar is not None else None
        seed = resolve_seed(request.sampling.seed, self.seed)
        affinity = request.affinity
        if affinity is None and isinstance(prompt, (str, bytes)):
            affinity = (prompt.decode("utf-8", "replace") if isinstance(prompt, bytes) else prompt)[:AFFINITY_CHARS]
        model_name = request.model or self.model_path
        if self.api == "openai":
            if grammar is not None:
                raise NotImplementedError("grammar and json_schema in text completion need a llama.cpp server")
            body = request.sampling.openai_fields(seed)
            if request.stop:
                body["stop"] = list(request.stop)
            body.update(prompt=prompt if isinstance(prompt, str) else list(prompt), model=request.model)
            if request.max_tokens:
                body["max_tokens"] = request.max_tokens
            return self._openai.completion(body, stream=request.stream, affinity=affinity)
        prompt_tokens = self._prompt_tokens(prompt, affinity)
        if affinity is None:
            affinity = ",".join(map(str, prompt_tokens[: AFFINITY_CHARS // 4]))
        body = request.sampling.llama_server_fields(seed=seed, penalty_last_n=self.last_n_tokens_size)
        body.update(
            stop=list(request.stop),
            prompt=prompt_tokens,
            n_predict=request.max_tokens or -1,
            cache_prompt=self.cache_prompt,
            return_tokens=True,
            **grammar_fields(grammar),
        )
        stats: dict[str, Any] = {"cached_tokens": 0}
        chunks = self._llama_server.chunks(body, stream=request.stream, affinity=affinity, grammar=grammar, stats=stats)
        return completion_result(
            cast(Iterator[Any], chunks), len(prompt_tokens), "", model_name, validator, stats, request.stream
        )

    def _prompt_tokens(self, prompt: str | bytes | Sequence[int], affinity: str | None) -> list[int]:
        if isinstance(prompt, (str, bytes)):
            text = prompt.encode("utf-8") if isinstance(prompt, str) else prompt
            tokens = self._llama_server.tokenize(text, self._llama_server.add_bos, True, affinity)
        else:
            tokens = [int(t) for t in prompt]
        if not tokens:
            raise ValueError("the prompt is empty")
        n_ctx = self._llama_server.model().n_ctx
        if n_ctx and len(tokens) >= n_ctx:
            raise ContextOverflowError(len(tokens), n_ctx)
        return tokens

    def _run_chat(self, request: ChatRequest) -> Any:
        if request.logprobs:
            raise NotImplementedError("logprobs run in process only; the remote backend cannot send them")
        affinity = request.affinity or chat_affinity(request.messages, list(request.tools.tools))
        request = request.replace(affinity=affinity)
        if self.api == "openai":
            return self._openai_chat(request)
        if has_images(request.messages):
            raise NotImplementedError(
                "images are not sent to llama.cpp servers by token ids yet; use api='openai' "
                "(llama-server started with --mmproj reads image_url parts on /v1/chat/completions)"
            )

        def tokenize(text: bytes, add_bos: bool, special: bool) -> list[int]:
            return self._llama_server.tokenize(text, add_bos, special, affinity)  # where its generation will go

        return _chat_api.create_chat_completion(
            self.run,
            self.chat_formatter,
            cast(Any, self._llama_server),  # what the chat layer needs of a model: add_bos
            self.json_whitespace,
            request,
            tokenize=tokenize,
        )

    def _openai_chat(self, request: ChatRequest) -> Any:
        structure, tools = request.structure, request.tools
        for name, value in (
            ("grammar", structure.grammar),
            ("json_whitespace", structure.whitespace),
            ("logits_processor", request.logits_processor),
            ("max_tool_calls", tools.max_tool_calls),
            ("reasoning_budget", request.reasoning_budget),
        ):
            if value is not None:
                raise NotImplementedError(f"{name} needs a llama.cpp server (these servers speak only the OpenAI API)")
        body = request.sampling.openai_fields(request.sampling.seed)
        if request.stop:
            body["stop"] = list(request.stop)
        schema: Any = structure.schema
        response_format: Any = structure.response_format
        if isinstance(response_format, type):  # a pydantic model or TypedDict, as in process
            from ..schema.inputs import to_json_schema

            schema = to_json_schema(response_format)
            response_format = {"type": "json_schema", "json_schema": {"name": "output", "schema": schema}}
        if structure.prop_order is not None:
            schema = ordered_schema(schema, list(structure.prop_order))
        if schema is not None:  # llama-cpp-python's {"type": "json_object", "schema": ...} too: OpenAI's form
            spec = response_format.get("json_schema") if isinstance(response_format, dict) else None
            title = (spec or {}).get("name") or "output"
            response_format = {"type": "json_schema", "json_schema": {"name": title, "schema": schema}}
        messages = request.messages
        if structure.schema_prompt:
            messages = _with_system_text(messages, schema_system_prompt(schema))
        body.update(messages=messages, model=request.model)
        if tools.choice is not None:
            body["tool_choice"] = tools.choice
        if tools.parallel is not None:
            body["parallel_tool_calls"] = tools.parallel
        if request.chat_template_kwargs:
            body["chat_template_kwargs"] = dict(request.chat_template_kwargs)
        if tools.tools:
            body["tools"] = list(tools.tools)
        if response_format is not None:
            body["response_format"] = response_format
        if request.max_tokens:
            body["max_tokens"] = request.max_tokens
        return self._openai.chat(
            body, stream=request.stream, affinity=request.affinity, schema=schema, tools=list(tools.tools)
        )

    # ---------------------------------------------------------- embeddings
    def create_embedding(self, input: str | Sequence[str], model: str | None = None) -> dict[str, Any]:
        """OpenAI's embeddings response for ``input`` (the servers must serve embeddings)."""
        body: dict[str, Any] = {"input": input if isinstance(input, str) else list(input)}
        if self.api == "openai":
            body["model"] = model or self._openai.model_name()
        else:
            body["embd_normalize"] = -1  # raw vectors, as Llama.create_embedding gives
        return self._transport.post_json("/v1/embeddings", body)[1]

    def embed(
        self, input: str | Sequence[str], normalize: bool | int = False, truncate: bool = True,
        return_count: bool = False, *, per_token: bool | None = None,
    ) -> Any:
        """The embedding of a string, or of each string in a list (as :meth:`llama_native.Llama.embed`).

        The server decides what happens to a text longer than its context
        (``truncate=False`` cannot be honoured remotely and raises); it gives
        one vector per input (``per_token=True`` raises).
        """
        if per_token:
            raise NotImplementedError("embed(per_token=True): a server's /v1/embeddings gives one vector per input")
        if not truncate:
            raise NotImplementedError("embed(truncate=False): the server decides; it runs in process only")
        single = isinstance(input, str)
        if not single and not input:
            return ([], 0) if return_count else []
        out = self.create_embedding(input)
        vectors = [list(map(float, d["embedding"])) for d in sorted(out["data"], key=lambda d: d["index"])]
        mode = normalize_mode(normalize)
        if mode != -1:
            vectors = [normalize_vector(v, mode) for v in vectors]
        result: Any = vectors[0] if single else vectors
        if return_count:
            return result, int((out.get("usage") or {}).get("prompt_tokens", 0))
        return result

    # ------------------------------------------------------------- rerank
    def rerank(
        self, query: str, documents: Sequence[str], top_n: int | None = None, return_documents: bool = True
    ) -> list[RerankResult]:
        """Documents scored against ``query`` by the servers' reranker (``/v1/rerank``), as :meth:`Llama.rerank`."""
        return remote_rerank(self._transport, query, documents, top_n, return_documents, None)["results"]

    def create_rerank(
        self, query: str, documents: Sequence[str], top_n: int | None = None, return_documents: bool = False,
        model: str | None = None,
    ) -> dict[str, Any]:
        """The servers' ``/v1/rerank`` response: ``{"model", "object", "usage", "results"}``."""
        return remote_rerank(self._transport, query, documents, top_n, return_documents, model)

    # --------------------------------------------------------------- async
    async def aembed(
        self, input: str | Sequence[str], normalize: bool | int = False, truncate: bool = True,
        *, per_token: bool | None = None,
    ) -> Any:
        """Awaitable :meth:`embed`."""
        return await run_in_own_thread(
            lambda: self.embed(input, normalize, truncate, per_token=per_token), self._transport.cancel_thread
        )

    async def arerank(
        self, query: str, documents: Sequence[str], top_n: int | None = None, return_documents: bool = True
    ) -> list[RerankResult]:
        """Awaitable :meth:`rerank`."""
        return await run_in_own_thread(lambda: self.rerank(query, documents, top_n, return_documents),
                                       self._transport.cancel_thread)

    def close(self) -> None:
        """Close the connections."""
        self._transport.close()

    def __enter__(self) -> RemoteLlama:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"RemoteLlama({self.base_urls!r}, api={self._api or 'auto'!r})"

