"""``LlamaCPP``: a LlamaIndex function-calling LLM over :class:`llama_native.Llama`.

A thin adapter: chat goes through the model's own chat template
(:meth:`~llama_native.Llama.create_chat_completion`), tool calls and
structured output are grammar-constrained by the chat API, and the async
methods are native (the event loop keeps running while tokens are generated).

Each chat and completion method builds one ``_request.Request`` and sends it
(sync, async, whole or streamed); ``_responses`` turns replies into
LlamaIndex's responses, ``_structured`` serves ``structured_predict``,
``_messages`` converts messages and ``_truncation`` refuses cut replies.
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
    MessageRole,
    ToolCallBlock,
)
from llama_index.core.bridge.pydantic import Field, PrivateAttr, model_validator
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback
from llama_index.core.llms.function_calling import FunctionCallingLLM
from llama_index.core.llms.llm import ToolSelection, default_completion_to_prompt
from llama_index.core.prompts import PromptTemplate
from pydantic import BaseModel

from llama_native import Llama
from llama_native.default_model import MODEL_PATH_ENV, resolve_model_path
from llama_native.download import download_model
from llama_native.model_pool import shared_llama, shared_remote
from llama_native.request import normalize_tool_choice
from llama_native.truncation import required_call

from ._messages import to_openai_messages
from ._request import Request
from ._responses import acompletion_stream, completion_from_chat, completion_response, completion_stream
from ._structured import parse_structured, partial_object, response_format
from ._truncation import Limit, call_check


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
            "flash_attn": None,  # llama.cpp's auto, as llama-server: replies do not depend on the batch (n_parallel)
            "json_whitespace": "free",  # the model chooses: more accurate than Llama's llama-cpp-python default
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

    # ------------------------------------------------------ chat, completion
    def _chat_request(self, messages: Sequence[ChatMessage], kwargs: dict[str, Any]) -> Request:
        """The one request of the four chat methods: the chat template's, or ``messages_to_prompt``'s text."""
        prompt = self._chat_as_prompt(messages)
        if prompt is not None:
            return Request(self._text_params(kwargs), prompt)
        return Request(self._params(kwargs), to_openai_messages(messages), self._call_check(kwargs))

    @llm_chat_callback()
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        """Answer ``messages`` through the model's chat template."""
        request = self._chat_request(messages, kwargs)
        return request.chat_response(request.send(self.client))

    @llm_chat_callback()
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        """Stream the answer to ``messages`` token by token (each response carries the text so far)."""
        request = self._chat_request(messages, kwargs)
        return request.chat_stream(request.send(self.client, stream=True))

    @llm_chat_callback()
    async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        """Awaitable :meth:`chat`; the event loop keeps running while tokens are generated."""
        client = await self._aclient()
        request = self._chat_request(messages, kwargs)
        return request.chat_response(await request.asend(client))

    @llm_chat_callback()
    async def astream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseAsyncGen:
        """Async :meth:`stream_chat`; leaving the stream early stops generation."""
        client = await self._aclient()
        request = self._chat_request(messages, kwargs)
        return request.achat_stream(await request.asend(client, stream=True))

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        """Complete ``prompt`` (through the chat template unless ``formatted`` or ``completion_to_prompt``)."""
        raw = self._completion_prompt(prompt, formatted)
        if raw is None:
            return completion_from_chat(self.chat(self._prompt_messages(prompt), **kwargs))
        return completion_response(Request(self._text_params(kwargs), raw).send(self.client))

    @llm_completion_callback()
    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseGen:
        """Stream the completion of ``prompt`` token by token."""
        raw = self._completion_prompt(prompt, formatted)
        if raw is None:
            return (completion_from_chat(r) for r in self.stream_chat(self._prompt_messages(prompt), **kwargs))
        return completion_stream(Request(self._text_params(kwargs), raw).send(self.client, stream=True))

    @llm_completion_callback()
    async def acomplete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        """Awaitable :meth:`complete`."""
        raw = self._completion_prompt(prompt, formatted)
        if raw is None:
            return completion_from_chat(await self.achat(self._prompt_messages(prompt), **kwargs))
        request = Request(self._text_params(kwargs), raw)
        return completion_response(await request.asend(await self._aclient()))

    @llm_completion_callback()
    async def astream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseAsyncGen:
        """Async :meth:`stream_complete`; leaving the stream early stops generation."""
        raw = self._completion_prompt(prompt, formatted)
        if raw is None:
            chats = await self.astream_chat(self._prompt_messages(prompt), **kwargs)

            async def from_chat() -> AsyncGenerator[CompletionResponse, None]:
                async for r in chats:
                    yield completion_from_chat(r)

            return from_chat()
        request = Request(self._text_params(kwargs), raw)
        return acompletion_stream(await request.asend(await self._aclient(), stream=True))

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
        tool_choice = normalize_tool_choice(tool_choice, loose=True)
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
        return {"messages": messages, "response_format": response_format(output_cls), **(llm_kwargs or {})}

    def structured_predict(
        self,
        output_cls: type[BaseModel],
        prompt: PromptTemplate,
        llm_kwargs: dict[str, Any] | None = None,
        **prompt_args: Any,
    ) -> Any:
        """An ``output_cls`` instance, generated under a grammar of its JSON schema (not parsed out of free text)."""
        response = self.chat(**self._schema_request(output_cls, prompt, llm_kwargs, prompt_args))
        return parse_structured(output_cls, response, self._limit(llm_kwargs or {}))

    async def astructured_predict(
        self,
        output_cls: type[BaseModel],
        prompt: PromptTemplate,
        llm_kwargs: dict[str, Any] | None = None,
        **prompt_args: Any,
    ) -> Any:
        """Awaitable :meth:`structured_predict`."""
        response = await self.achat(**self._schema_request(output_cls, prompt, llm_kwargs, prompt_args))
        return parse_structured(output_cls, response, self._limit(llm_kwargs or {}))

    def _structured_stream_call(
        self,
        output_cls: type[BaseModel],
        prompt: PromptTemplate,
        llm_kwargs: dict[str, Any] | None = None,
        **prompt_args: Any,
    ) -> Generator[Any, None, None]:
        limit = self._limit(llm_kwargs or {})
        for response in self.stream_chat(**self._schema_request(output_cls, prompt, llm_kwargs, prompt_args)):
            partial = partial_object(output_cls, response, limit)
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
                partial = partial_object(output_cls, response, limit)
                if partial is not None:
                    yield partial

        return partials()
