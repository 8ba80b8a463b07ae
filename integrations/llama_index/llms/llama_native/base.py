"""``LlamaCPP``: a LlamaIndex function-calling LLM over :class:`llama_native.Llama`.

A thin adapter: chat goes through the model's own chat template
(:meth:`~llama_native.Llama.create_chat_completion`), tool calls and
structured output are grammar-constrained by the chat API, and the async
methods are native (the event loop keeps running while tokens are generated).

Over 500 lines because LlamaIndex's ``FunctionCallingLLM`` has many entry
points (chat and completion, each sync, async and streaming, tool calls,
structured prediction and its streaming forms), each a short adapter here,
and the class docstring's executed examples take a hundred lines; message
conversion already lives in ``_messages.py``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable, Generator, Sequence
from typing import Any, Literal, cast

from llama_index.core.base.llms.generic_utils import messages_to_prompt as generic_messages_to_prompt
from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseAsyncGen,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseAsyncGen,
    CompletionResponseGen,
    LLMMetadata,
    LogProb,
    MessageRole,
    ToolCallBlock,
)
from llama_index.core.bridge.pydantic import Field, PrivateAttr, model_validator
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback
from llama_index.core.llms.function_calling import FunctionCallingLLM
from llama_index.core.llms.llm import ToolSelection, default_completion_to_prompt
from llama_index.core.program.utils import create_flexible_model
from llama_index.core.prompts import PromptTemplate
from pydantic import BaseModel
from pydantic_core import from_json

from llama_native import Llama
from llama_native.default_model import MODEL_PATH_ENV, resolve_model_path
from llama_native.download import download_model
from llama_native.model_pool import shared_llama, shared_remote
from llama_native.truncation import required_call

from ._messages import assistant_message, to_openai_messages
from ._truncation import Limit, call_check, raise_if_cut


class LlamaCPP(FunctionCallingLLM):
    """A local GGUF model as a LlamaIndex LLM (drop-in for llama-index-llms-llama-cpp's ``LlamaCPP``).

    Nothing is loaded (or, with ``model_url``, downloaded) until first use;
    instances with the same file and load parameters share one model.  Chat
    uses the GGUF's chat template unless ``messages_to_prompt``
    is given.  Tools and ``structured_predict`` are constrained by grammars
    built from the tools' and output class's JSON schemas.

    Setup:
        ``pip install 'llama-native[llama-index]'`` and a GGUF file (``model_path=`` or
        ``$LLAMA_NATIVE_MODEL_PATH``).

    Key init args — completion params:
        temperature: float
            Sampling temperature (0.1).
        max_new_tokens: int
            Most tokens to generate (256).
        generate_kwargs: dict
            Further sampling arguments for every call (``top_p``, ``stop``, ``json_whitespace``, ...).

    Key init args — client params:
        model_path: Optional[str]
            The GGUF file.
        context_window: int
            Context size in tokens (n_ctx).
        n_parallel: int
            Sequences decoded together for concurrent async calls.
        model_kwargs: dict
            Further :class:`llama_native.Llama` arguments (``n_threads``, ``n_gpu_layers``, ...).
        mmproj_path: Optional[str]
            The model's image projector GGUF; user messages may then hold ``ImageBlock``s.

    Instantiate:
        .. code-block:: python

            >>> from llama_index.llms.llama_native import LlamaCPP
            >>> from llama_index.core.llms import ChatMessage
            >>> from llama_native.testing import synthetic_model_path
            >>> path = str(synthetic_model_path())
            >>> llm = LlamaCPP(model_path=path, context_window=512, max_new_tokens=8, temperature=0)

    Invoke:
        .. code-block:: python

            >>> reply = llm.chat([ChatMessage(role="user", content="Hello")])
            >>> reply.message.role.value, llm.metadata.context_window, llm.metadata.is_function_calling_model
            ('assistant', 512, True)

    Stream:
        .. code-block:: python

            >>> last = None
            >>> for last in llm.stream_chat([ChatMessage(role="user", content="Hello")]):
            ...     pass
            >>> last.message.content == reply.message.content  # greedy: the same text
            True

    Async:
        .. code-block:: python

            >>> import asyncio
            >>> answer = asyncio.run(llm.achat([ChatMessage(role="user", content="Hello")]))
            >>> answer.message.content == reply.message.content
            True

    Structured output:
        .. code-block:: python

            >>> from pydantic import BaseModel
            >>> from llama_index.core.prompts import PromptTemplate
            >>> class Answer(BaseModel):
            ...     ok: bool
            >>> type(llm.structured_predict(Answer, PromptTemplate("Is it?"), llm_kwargs={"max_tokens": 200})).__name__
            'Answer'

    Tool calling:
        .. code-block:: python

            >>> from llama_index.core.tools import FunctionTool
            >>> def multiply(a: int, b: int) -> int:
            ...     '''Multiply two integers.'''
            ...     return a * b
            >>> response = llm.chat_with_tools([FunctionTool.from_defaults(fn=multiply)], user_msg="6 times 7?",
            ...                                tool_required=True, max_tokens=128)
            >>> [(c.tool_name, sorted(c.tool_kwargs)) for c in llm.get_tool_calls_from_response(response)]
            [('multiply', ['a', 'b'])]
    """

    model_url: str | None = Field(
        default=None,
        description=(
            "URL of a GGUF to download on first use into the llama-native cache (resumed if broken off), "
            "when model_path is not given."
        ),
    )
    model_sha256: str | None = Field(default=None, description="SHA-256 the model_url download must have.")
    model_path: str | None = Field(
        default=None, description="Path to the .gguf file (default: $LLAMA_NATIVE_MODEL_PATH)."
    )
    temperature: float = Field(default=0.1, ge=0.0, description="Sampling temperature.")
    max_new_tokens: int = Field(default=256, gt=0, description="Most tokens to generate.")
    context_window: int = Field(default=3900, gt=0, description="Context size in tokens (n_ctx).")
    generate_kwargs: dict[str, Any] = Field(default_factory=dict, description="Extra sampling arguments for each call.")
    model_kwargs: dict[str, Any] = Field(default_factory=dict, description="Extra llama_native.Llama arguments.")
    mmproj_path: str | None = Field(
        default=None, description="The model's image projector GGUF: messages may then hold ImageBlocks."
    )
    verbose: bool = Field(default=False, description="Forward llama.cpp's log to logging.")
    n_parallel: int = Field(
        default=1,
        gt=0,
        description=(
            "Sequences decoded together: above 1, concurrent async calls share the model by continuous batching."
        ),
    )

    base_url: str | list[str] | None = Field(
        default=None,
        description=(
            "Run the model on servers instead of in process: llama.cpp llama-server(s) (our grammars and tool "
            "syntax) or OpenAI-compatible servers; a list spreads requests over a fleet with failover. "
            "model_path then names the served model, if the server needs one."
        ),
    )
    api_key: str | None = Field(default=None, description="Sent as Authorization: Bearer ... to base_url.")
    api: Literal["auto", "llama.cpp", "openai"] = Field(
        default="auto", description="What base_url speaks: 'auto', 'llama.cpp' or 'openai'."
    )
    request_timeout: float = Field(default=600.0, gt=0, description="Seconds a request to base_url may wait.")
    max_retries: int = Field(default=3, ge=0, description="Further attempts after a connection failure or a 503.")

    _client: Any = PrivateAttr(default=None)

    @model_validator(mode="before")
    @classmethod
    def _resolve_model(cls, values: Any) -> Any:
        if not isinstance(values, dict):
            return values
        if values.get("base_url"):
            local = sorted(k for k in ("model_url", "model_kwargs", "n_parallel", "mmproj_path") if values.get(k))
            if local:
                raise ValueError(f"{', '.join(local)} configure a model loaded in process; not with base_url")
            return values  # model_path names the served model
        if values.get("model_url") and not values.get("model_path"):
            return values  # downloaded on first use
        values = {**values, "model_path": resolve_model_path(values.get("model_path"))}
        return values

    @classmethod
    def class_name(cls) -> str:
        """The name LlamaIndex serializes this class under."""
        return "LlamaNative_llm"

    # ------------------------------------------------------------- loading
    def _load_kwargs(self) -> dict[str, Any]:
        return {
            "n_ctx": self.context_window,
            "verbose": self.verbose,
            "n_parallel": self.n_parallel,
            **({"mmproj_path": self.mmproj_path} if self.mmproj_path else {}),
            **self.model_kwargs,
        }

    @property
    def client(self) -> Llama:
        """The underlying :class:`llama_native.Llama` (loaded on first access)."""
        if self._client is None and self.base_url:
            self._client = shared_remote(
                self.base_url,
                api=self.api,
                model=self.model_path,
                api_key=self.api_key,
                timeout=self.request_timeout,
                max_retries=self.max_retries,
            )
        if self._client is None:
            if self.model_path is None and self.model_url:
                self.model_path = str(download_model(self.model_url, sha256=self.model_sha256))
            if self.model_path is None:
                raise ValueError(f"no model: pass model_path=... or set ${MODEL_PATH_ENV} to a .gguf file")
            self._client = shared_llama(self.model_path, **self._load_kwargs())
        return self._client

    async def _aclient(self) -> Llama:
        if self._client is not None:
            return self._client
        return await asyncio.to_thread(lambda: self.client)  # loading takes seconds: not on the event loop

    @property
    def metadata(self) -> LLMMetadata:
        """Context window (the real one once loaded), output budget and capabilities."""
        context = self.context_window
        if self._client is not None:
            try:
                context = self._client.n_ctx()
            except NotImplementedError:  # an OpenAI-compatible server does not say
                pass
        return LLMMetadata(
            context_window=context,
            num_output=self.max_new_tokens,
            is_chat_model=True,
            is_function_calling_model=True,
            model_name=self.model_path or "llama-native",
        )

    # ----------------------------------------------------------- parameters
    @property
    def _custom_chat_prompt(self) -> bool:
        return self.messages_to_prompt is not generic_messages_to_prompt

    @property
    def _custom_completion_prompt(self) -> bool:
        return self.completion_to_prompt is not default_completion_to_prompt

    def _params(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        params = {"temperature": self.temperature, "max_tokens": self.max_new_tokens, **self.generate_kwargs}
        params.update(kwargs)
        return params

    def _limit(self, kwargs: dict[str, Any]) -> Limit:
        """A call's output limit, named as the caller set it (``max_tokens`` in the call or generate_kwargs)."""
        named = "max_tokens" in kwargs or "max_tokens" in self.generate_kwargs
        return Limit(self._params(kwargs).get("max_tokens"), "max_tokens" if named else "max_new_tokens")

    def _call_check(self, kwargs: dict[str, Any]) -> Callable[[ChatResponse], None] | None:
        """For a call that requires a tool call: the check that refuses a reply cut before any call was complete."""
        params = self._params(kwargs)
        required = required_call(params.get("tool_choice"))
        if required is None and params.get("tools") and params.get("tool_choice") != "none":
            return call_check("the tool call", self._limit(kwargs), opened_call_only=True)  # "auto"
        return call_check(required, self._limit(kwargs))

    def _text_params(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        """:meth:`_params` for text completion: chat-style ``logprobs=True, top_logprobs=N`` is ``logprobs=N``."""
        params = self._params(kwargs)
        top = params.pop("top_logprobs", None)
        if params.get("logprobs") is True or (top is not None and params.get("logprobs") is None):
            params["logprobs"] = top or 0
        elif params.get("logprobs") is False:
            params["logprobs"] = None
        return params

    def _completion_prompt(self, prompt: str, formatted: bool) -> str | None:
        """The raw prompt for a text completion, or None when the chat template should shape it."""
        if formatted:
            return prompt
        if self._custom_completion_prompt:
            return cast(Callable[[str], str], self.completion_to_prompt)(prompt)
        return None

    def _chat_as_prompt(self, messages: Sequence[ChatMessage]) -> str | None:
        if not self._custom_chat_prompt:
            return None
        return cast(Callable[[Sequence[ChatMessage]], str], self.messages_to_prompt)(messages)

    def _prompt_messages(self, prompt: str) -> list[ChatMessage]:
        messages = [ChatMessage(role=MessageRole.USER, content=prompt)]
        if self.system_prompt:
            messages.insert(0, ChatMessage(role=MessageRole.SYSTEM, content=self.system_prompt))
        return messages

    # ----------------------------------------------------------------- chat
    @llm_chat_callback()
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        """Answer ``messages`` through the model's chat template."""
        prompt = self._chat_as_prompt(messages)
        if prompt is not None:
            return _chat_from_completion(
                cast(dict[str, Any], self.client.create_completion(prompt, **self._text_params(kwargs)))
            )
        check = self._call_check(kwargs)
        response = cast(
            dict[str, Any], self.client.create_chat_completion(to_openai_messages(messages), **self._params(kwargs))
        )
        return _checked(_chat_response(response), check)

    @llm_chat_callback()
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        """Stream the answer to ``messages`` token by token (each response carries the text so far)."""
        prompt = self._chat_as_prompt(messages)
        if prompt is not None:
            chunks: Any = self.client.create_completion(prompt, stream=True, **self._text_params(kwargs))
            return _chat_stream_from_completion(chunks)
        check = self._call_check(kwargs)
        chunks = self.client.create_chat_completion(to_openai_messages(messages), stream=True, **self._params(kwargs))
        return _chat_stream(chunks, check)

    @llm_chat_callback()
    async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        """Awaitable :meth:`chat`; the event loop keeps running while tokens are generated."""
        client = await self._aclient()
        prompt = self._chat_as_prompt(messages)
        if prompt is not None:
            return _chat_from_completion(await client.acreate_completion(prompt, **self._text_params(kwargs)))
        check = self._call_check(kwargs)
        response = await client.acreate_chat_completion(to_openai_messages(messages), **self._params(kwargs))
        return _checked(_chat_response(response), check)

    @llm_chat_callback()
    async def astream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseAsyncGen:
        """Async :meth:`stream_chat`; leaving the stream early stops generation."""
        client = await self._aclient()
        prompt = self._chat_as_prompt(messages)
        if prompt is not None:
            chunks = await client.acreate_completion(prompt, stream=True, **self._text_params(kwargs))
            return _achat_stream_from_completion(chunks)
        check = self._call_check(kwargs)
        chunks = await client.acreate_chat_completion(to_openai_messages(messages), stream=True, **self._params(kwargs))
        return _achat_stream(chunks, check)

    # ----------------------------------------------------------- completion
    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        """Complete ``prompt`` (through the chat template unless ``formatted`` or ``completion_to_prompt``)."""
        raw = self._completion_prompt(prompt, formatted)
        if raw is None:
            return _completion_from_chat(self.chat(self._prompt_messages(prompt), **kwargs))
        response = cast(dict[str, Any], self.client.create_completion(raw, **self._text_params(kwargs)))
        return _completion_response(response)

    @llm_completion_callback()
    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseGen:
        """Stream the completion of ``prompt`` token by token."""
        raw = self._completion_prompt(prompt, formatted)
        if raw is None:
            return (_completion_from_chat(r) for r in self.stream_chat(self._prompt_messages(prompt), **kwargs))
        return _completion_stream(self.client.create_completion(raw, stream=True, **self._text_params(kwargs)))

    @llm_completion_callback()
    async def acomplete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        """Awaitable :meth:`complete`."""
        raw = self._completion_prompt(prompt, formatted)
        if raw is None:
            return _completion_from_chat(await self.achat(self._prompt_messages(prompt), **kwargs))
        client = await self._aclient()
        response = await client.acreate_completion(raw, **self._text_params(kwargs))
        return _completion_response(response)

    @llm_completion_callback()
    async def astream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseAsyncGen:
        """Async :meth:`stream_complete`; leaving the stream early stops generation."""
        raw = self._completion_prompt(prompt, formatted)
        if raw is None:
            chats = await self.astream_chat(self._prompt_messages(prompt), **kwargs)

            async def from_chat() -> AsyncGenerator[CompletionResponse, None]:
                async for r in chats:
                    yield _completion_from_chat(r)

            return from_chat()
        client = await self._aclient()
        chunks = await client.acreate_completion(raw, stream=True, **self._text_params(kwargs))
        return _acompletion_stream(chunks)

    # ----------------------------------------------------------------- tools
    def _prepare_chat_with_tools(
        self,
        tools: Sequence[Any],
        user_msg: str | ChatMessage | None = None,
        chat_history: list[ChatMessage] | None = None,
        verbose: bool = False,
        allow_parallel_tool_calls: bool = False,
        tool_required: bool = False,
        tool_choice: str | dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """``chat`` arguments for a tool request: OpenAI tools, tool_choice and parallel calls."""
        del verbose
        messages = list(chat_history or [])
        if isinstance(user_msg, str):
            user_msg = ChatMessage(role=MessageRole.USER, content=user_msg)
        if user_msg is not None:
            messages.append(user_msg)
        openai_tools = [t.metadata.to_openai_tool(skip_length_check=True) for t in tools]
        if tool_choice is None:
            tool_choice = "required" if tool_required else "auto"
        elif isinstance(tool_choice, str) and tool_choice not in ("auto", "required", "none"):
            tool_choice = {"type": "function", "function": {"name": tool_choice}}
        params: dict[str, Any] = {"messages": messages, **kwargs}
        if openai_tools:
            params.update(tools=openai_tools, tool_choice=tool_choice, parallel_tool_calls=allow_parallel_tool_calls)
        return params

    def get_tool_calls_from_response(
        self, response: ChatResponse, error_on_no_tool_call: bool = True, **kwargs: Any
    ) -> list[ToolSelection]:
        """The tool calls of a reply as ``ToolSelection``\\ s (arguments already validated by the grammar)."""
        calls = [b for b in response.message.blocks if isinstance(b, ToolCallBlock)]
        if not calls and error_on_no_tool_call:
            raise ValueError(f"Expected at least one tool call, but got 0 tool calls: {response.message.content!r}")
        return [
            ToolSelection(
                tool_id=c.tool_call_id or "",
                tool_name=c.tool_name,
                tool_kwargs=c.tool_kwargs if isinstance(c.tool_kwargs, dict) else {},
            )
            for c in calls
        ]

    # ---------------------------------------------------- structured output
    def _schema_request(
        self,
        output_cls: type[BaseModel],
        prompt: PromptTemplate,
        llm_kwargs: dict[str, Any] | None,
        prompt_args: dict[str, Any],
    ) -> dict[str, Any]:
        messages = self._extend_messages(prompt.format_messages(llm=self, **prompt_args))
        schema = output_cls.model_json_schema()
        response_format = {"type": "json_schema", "json_schema": {"name": output_cls.__name__, "schema": schema}}
        return {"messages": messages, "response_format": response_format, **(llm_kwargs or {})}

    def structured_predict(
        self,
        output_cls: type[BaseModel],
        prompt: PromptTemplate,
        llm_kwargs: dict[str, Any] | None = None,
        **prompt_args: Any,
    ) -> Any:
        """An ``output_cls`` instance, generated under a grammar of its JSON schema (not parsed out of free text)."""
        response = self.chat(**self._schema_request(output_cls, prompt, llm_kwargs, prompt_args))
        return _parse_structured(output_cls, response, self._limit(llm_kwargs or {}))

    async def astructured_predict(
        self,
        output_cls: type[BaseModel],
        prompt: PromptTemplate,
        llm_kwargs: dict[str, Any] | None = None,
        **prompt_args: Any,
    ) -> Any:
        """Awaitable :meth:`structured_predict`."""
        response = await self.achat(**self._schema_request(output_cls, prompt, llm_kwargs, prompt_args))
        return _parse_structured(output_cls, response, self._limit(llm_kwargs or {}))

    def _structured_stream_call(
        self,
        output_cls: type[BaseModel],
        prompt: PromptTemplate,
        llm_kwargs: dict[str, Any] | None = None,
        **prompt_args: Any,
    ) -> Generator[Any, None, None]:
        limit = self._limit(llm_kwargs or {})
        for response in self.stream_chat(**self._schema_request(output_cls, prompt, llm_kwargs, prompt_args)):
            partial = _partial_object(output_cls, response, limit)
            if partial is not None:
                yield partial

    async def _structured_astream_call(
        self,
        output_cls: type[BaseModel],
        prompt: PromptTemplate,
        llm_kwargs: dict[str, Any] | None = None,
        **prompt_args: Any,
    ) -> AsyncGenerator[Any, None]:
        responses = await self.astream_chat(**self._schema_request(output_cls, prompt, llm_kwargs, prompt_args))
        limit = self._limit(llm_kwargs or {})

        async def partials() -> AsyncGenerator[Any, None]:
            async for response in responses:
                partial = _partial_object(output_cls, response, limit)
                if partial is not None:
                    yield partial

        return partials()


# ------------------------------------------------------------------ helpers
def _checked(response: ChatResponse, check: Callable[[ChatResponse], None] | None) -> ChatResponse:
    if check is not None:
        check(response)
    return response


def _chat_response(response: dict[str, Any]) -> ChatResponse:
    choice = response["choices"][0]
    message = choice["message"]
    reply = assistant_message(
        message.get("content") or "", message.get("tool_calls") or [], message.get("reasoning_content")
    )
    extra: dict[str, Any] = {"finish_reason": choice["finish_reason"]}
    if choice.get("incomplete_tool_call"):
        extra["incomplete_tool_call"] = True
    logprobs = _logprobs(choice.get("logprobs"))
    return ChatResponse(message=reply, raw=response, additional_kwargs=extra, logprobs=logprobs)


def _chat_from_completion(response: dict[str, Any]) -> ChatResponse:
    choice = response["choices"][0]
    return ChatResponse(
        message=assistant_message(choice["text"], []),
        raw=response,
        additional_kwargs={"finish_reason": choice["finish_reason"]},
        logprobs=_logprobs(choice.get("logprobs")),
    )


def _logprobs(raw: dict[str, Any] | None) -> list[list[LogProb]] | None:
    """Per token, its top alternatives as ``LogProb``\\ s (as llama-index-llms-openai), from either OpenAI shape."""
    if raw is None:
        return None
    if "content" in raw:  # chat: {"content": [{token, logprob, bytes, top_logprobs}]}
        return [
            [LogProb(token=t["token"], logprob=t["logprob"], bytes=t["bytes"]) for t in e["top_logprobs"]]
            or [LogProb(token=e["token"], logprob=e["logprob"], bytes=e["bytes"])]
            for e in raw["content"] or []
        ]
    return [  # text completion: {"tokens", "token_logprobs", "top_logprobs": [{text: logprob}]}
        [LogProb(token=t, logprob=lp, bytes=list(t.encode("utf-8"))) for t, lp in (top or {}).items()]
        for top in raw["top_logprobs"]
    ]


def _completion_response(response: dict[str, Any]) -> CompletionResponse:
    choice = response["choices"][0]
    return CompletionResponse(text=choice["text"], raw=response, logprobs=_logprobs(choice.get("logprobs")))


def _completion_from_chat(response: ChatResponse) -> CompletionResponse:
    return CompletionResponse(
        text=response.message.content or "",
        delta=response.delta,
        raw=response.raw,
        additional_kwargs=response.additional_kwargs,
        logprobs=response.logprobs,
    )


class _ChatAccumulator:
    """Turns chat-completion chunks into cumulative ``ChatResponse``\\ s with deltas."""

    def __init__(self) -> None:
        self.text = ""
        self.thinking = ""
        self.calls: list[dict[str, Any]] = []

    def add(self, chunk: dict[str, Any]) -> ChatResponse | None:
        """The reply so far after ``chunk``; thinking deltas in ``additional_kwargs["thinking_delta"]``."""
        choice = chunk["choices"][0]
        delta = choice.get("delta") or {}
        piece = delta.get("content") or ""
        thought = delta.get("reasoning_content") or ""
        self.text += piece
        self.thinking += thought
        self.calls += [{k: v for k, v in c.items() if k != "index"} for c in delta.get("tool_calls") or []]
        finish = choice.get("finish_reason")
        if not piece and not thought and not delta.get("tool_calls") and finish is None:
            return None
        extra: dict[str, Any] = {"finish_reason": finish} if finish else {}
        if choice.get("incomplete_tool_call"):
            extra["incomplete_tool_call"] = True
        if thought:  # as llama-index-llms-ollama streams thinking
            extra["thinking_delta"] = thought
        reply = assistant_message(self.text, self.calls, self.thinking or None)
        return ChatResponse(message=reply, delta=piece, raw=chunk, additional_kwargs=extra)

    def add_text(self, chunk: dict[str, Any]) -> ChatResponse | None:
        choice = chunk["choices"][0]
        self.text += choice["text"]
        if not choice["text"] and choice.get("finish_reason") is None:
            return None
        return ChatResponse(message=assistant_message(self.text, []), delta=choice["text"], raw=chunk)


def _responses(chunks: Any, step: Any, check: Callable[[ChatResponse], None] | None = None) -> ChatResponseGen:
    """``step(chunk)`` for each chunk, skipping empty ones; closing the chunks (and the generation) at the end.

    ``check`` sees each response before it is yielded (and may raise at the last).
    """
    try:
        for chunk in chunks:
            response = step(chunk)
            if response is not None:
                yield _checked(response, check)
    finally:
        chunks.close()


async def _aresponses(
    chunks: Any, step: Any, check: Callable[[ChatResponse], None] | None = None
) -> ChatResponseAsyncGen:
    try:
        async for chunk in chunks:
            response = step(chunk)
            if response is not None:
                yield _checked(response, check)
    finally:
        await chunks.aclose()  # cancels the native generation if the consumer left early


def _chat_stream(chunks: Any, check: Callable[[ChatResponse], None] | None = None) -> ChatResponseGen:
    return _responses(chunks, _ChatAccumulator().add, check)


def _chat_stream_from_completion(chunks: Any) -> ChatResponseGen:
    return _responses(chunks, _ChatAccumulator().add_text)


def _achat_stream(chunks: Any, check: Callable[[ChatResponse], None] | None = None) -> ChatResponseAsyncGen:
    return _aresponses(chunks, _ChatAccumulator().add, check)


def _achat_stream_from_completion(chunks: Any) -> ChatResponseAsyncGen:
    return _aresponses(chunks, _ChatAccumulator().add_text)


def _completion_stream(chunks: Any) -> CompletionResponseGen:
    text = ""
    try:
        for chunk in chunks:
            piece = chunk["choices"][0]["text"]
            text += piece
            yield CompletionResponse(text=text, delta=piece, raw=chunk)
    finally:
        chunks.close()


async def _acompletion_stream(chunks: Any) -> CompletionResponseAsyncGen:
    text = ""
    try:
        async for chunk in chunks:
            piece = chunk["choices"][0]["text"]
            text += piece
            yield CompletionResponse(text=text, delta=piece, raw=chunk)
    finally:
        await chunks.aclose()


def _parse_structured(output_cls: type[BaseModel], response: ChatResponse, limit: Limit) -> BaseModel:
    """The validated ``output_cls`` of a finished reply; ``OutputTruncatedError`` (a ``ValueError``) for a cut one."""
    raise_if_cut(response, f"the {output_cls.__name__}", limit)
    return output_cls.model_validate_json(response.message.content or "")


def _partial_object(output_cls: type[BaseModel], response: ChatResponse, limit: Limit) -> Any:
    """The object so far: an ``output_cls`` when it validates, else a flexible copy with the fields seen.

    Partial JSON is read by pydantic-core's ``from_json(..., allow_partial=True)``.
    """
    if response.additional_kwargs.get("finish_reason"):
        return _parse_structured(output_cls, response, limit)  # the end: whole and valid, or an error
    text = response.message.content or ""
    if not text:
        return None
    try:
        data = from_json(text, allow_partial=True)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    try:
        return output_cls.model_validate(data)
    except ValueError:
        return create_flexible_model(output_cls).model_validate(data)
