"""``ChatLlamaCpp``: a LangChain chat model over :meth:`llama_native.Llama.create_chat_completion`.

A thin adapter: messages become chat-completion dicts, and the reply an
``AIMessage``.  Prompts come from the model's own chat template; tool calls
and structured output are grammar-constrained by the chat API, so tool
arguments and structured replies always validate against their schema.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Generator, Iterator, Sequence
from contextlib import contextmanager
from operator import itemgetter
from typing import Any, Literal, cast

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.exceptions import ContextOverflowError as LangChainContextOverflowError
from langchain_core.language_models import LanguageModelInput
from langchain_core.language_models.chat_models import BaseChatModel, LangSmithParams
from langchain_core.language_models.model_profile import ModelProfile
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.output_parsers import JsonOutputParser, PydanticOutputParser
from langchain_core.output_parsers.openai_tools import JsonOutputKeyToolsParser, PydanticToolsParser
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable, RunnableMap, RunnablePassthrough
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool
from langchain_core.utils.pydantic import is_basemodel_subclass
from pydantic import Field, model_validator

from llama_native import ContextOverflowError

from ._chat_call import ChatCall
from ._params import LOAD_CONFIG, LlamaCppLoadParams, LlamaCppSamplingParams
from ._schemas import openai_tool_choice, output_json_schema
from ._truncation import refuse_cut, tool_call_check

#: a bind() key of with_structured_output(method="function_calling"): its parser, not the model, refuses a cut call
#: (so that include_raw=True still gets the raw message)
_PARSER_CHECKS_CUT = "_parser_checks_cut"


class ChatContextOverflowError(LangChainContextOverflowError, ValueError):
    """The conversation is longer than the model's context: langchain-core's error, still a ``ValueError``.

    ``SummarizationMiddleware`` and other recovery code catch langchain-core's
    ``ContextOverflowError``; code written for llama-cpp-python catches ``ValueError``.
    """


@contextmanager
def _overflow_as_langchain_error() -> Iterator[None]:
    try:
        yield
    except ContextOverflowError as exc:
        raise ChatContextOverflowError(str(exc)) from exc


def default_profile(n_ctx: int, images: bool = False) -> ModelProfile:
    """What an agent may expect of a local GGUF chat model loaded with ``n_ctx`` tokens of context.

    ``images``: it was loaded with an image projector (``mmproj_path``).
    """
    return ModelProfile(
        max_input_tokens=n_ctx,
        open_weights=True,
        text_inputs=True,
        image_inputs=images,
        audio_inputs=False,
        video_inputs=False,
        pdf_inputs=False,
        text_outputs=True,
        tool_calling=True,
        tool_choice=True,
        structured_output=True,
        reasoning_output=False,
    )


class ChatLlamaCpp(LlamaCppLoadParams, LlamaCppSamplingParams, BaseChatModel):
    """A local GGUF model as a LangChain chat model (drop-in for langchain-community's ``ChatLlamaCpp``).

    The model loads on first use, and every instance with the same file and
    load parameters shares it.  ``bind_tools`` and ``with_structured_output``
    constrain generation with a grammar built from the schema, so tool
    arguments and structured output always validate.

    Setup:
        Install the package (it compiles llama.cpp) and have a GGUF file::

            pip install 'llama-native[langchain]'
            export LLAMA_NATIVE_MODEL_PATH=/path/to/model.gguf   # or pass model_path=...

    Key init args — completion params:
        temperature: float
            Sampling temperature (0: greedy).
        max_tokens: Optional[int]
            Most tokens to generate.
        top_p, top_k, min_p, repeat_penalty, stop, seed, grammar:
            As in llama-cpp-python; each may also be passed per call.
        json_whitespace: Optional[str]
            ``"free"`` (default), ``"compact"`` or ``"pretty"`` JSON in structured output.

    Key init args — client params:
        model_path: Optional[str]
            The GGUF file (also ``model=``; default ``$LLAMA_NATIVE_MODEL_PATH``).
        n_ctx: int
            Context window in tokens (4096).
        n_threads, n_gpu_layers, n_batch:
            CPU threads, layers offloaded to a GPU build, prompt batch size.
        n_parallel: int
            Sequences decoded together for concurrent calls (continuous batching).
        mmproj_path: Optional[str]
            The model's image projector GGUF; human messages may then hold image content blocks.

    Instantiate:
        .. code-block:: python

            >>> from langchain_llama_native import ChatLlamaCpp
            >>> from llama_native.testing import synthetic_model_path
            >>> llm = ChatLlamaCpp(model_path=str(synthetic_model_path()), n_ctx=512, max_tokens=8, temperature=0)

    Invoke:
        .. code-block:: python

            >>> reply = llm.invoke([("system", "Be brief."), ("human", "Hello")])
            >>> reply.usage_metadata["output_tokens"] <= 8
            True
            >>> reply.response_metadata["finish_reason"] in ("stop", "length")
            True

    Stream:
        .. code-block:: python

            >>> chunks = list(llm.stream("Hello"))
            >>> "".join(c.content for c in chunks) == llm.invoke("Hello").content  # greedy: the same text
            True

    Async:
        .. code-block:: python

            >>> import asyncio
            >>> reply = asyncio.run(llm.ainvoke("Hello"))  # the event loop keeps running meanwhile
            >>> reply.content == llm.invoke("Hello").content
            True

    Structured output:
        .. code-block:: python

            >>> from pydantic import BaseModel
            >>> class Answer(BaseModel):
            ...     ok: bool
            >>> structured = llm.with_structured_output(Answer)
            >>> type(structured.invoke("Is it?", max_tokens=32)).__name__
            'Answer'
            >>> structured.invoke("Is it?")  # max_tokens=8 cuts this reply: an error, never half an object
            Traceback (most recent call last):
            ...
            langchain_core.exceptions.OutputParserException: the reply was cut at max_tokens=8 (8 completion tokens) ...

    Tool calling:
        .. code-block:: python

            >>> def add(a: int, b: int) -> int:
            ...     '''Add two integers.'''
            ...     return a + b
            >>> reply = llm.bind_tools([add], tool_choice="add").invoke("1 plus 2?", max_tokens=128)
            >>> [(c["name"], sorted(c["args"])) for c in reply.tool_calls]
            [('add', ['a', 'b'])]
    """

    model_config = LOAD_CONFIG  # unknown parameters are errors, not silently ignored

    chat_template_kwargs: dict[str, Any] = Field(default_factory=dict)
    """Extra variables for the chat template (e.g. ``{"enable_thinking": False}``)."""

    reasoning: bool | None = None
    """As langchain-ollama's ``ChatOllama``: None, the template's default; True, ask it to think
    (``enable_thinking``); False, ask it not to.  Thinking a template marks with ``<think>`` comes
    back apart from the answer, in ``additional_kwargs["reasoning_content"]`` and as reasoning
    content blocks.  Also per call: ``invoke(..., reasoning=True)``."""

    reasoning_budget: int | None = None
    """At most this many tokens of thinking, then the end of thinking is forced (llama-server's
    ``--reasoning-budget``); None: no cap.  Also per call."""

    # ------------------------------------------------------------- identity
    @property
    def _llm_type(self) -> str:
        return "llama-native-chat"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_path": self.model_path, **self._default_params}

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        params = LangSmithParams(
            ls_provider="llama_native",
            ls_model_name=str(kwargs.get("model") or self.model_name),
            ls_model_type="chat",
            ls_temperature=kwargs.get("temperature", self.temperature),
        )
        max_tokens = kwargs.get("max_tokens", self.max_tokens)
        if max_tokens is not None:
            params["ls_max_tokens"] = max_tokens
        stops = stop or self.stop
        if stops:
            params["ls_stop"] = list(stops)
        return params

    # ----------------------------------------------------------- generation
    def _chat_params(self, stop: list[str] | None, kwargs: dict[str, Any]) -> dict[str, Any]:
        reasoning = kwargs.pop("reasoning", self.reasoning)
        budget = kwargs.pop("reasoning_budget", self.reasoning_budget)
        params = self._call_params(stop, kwargs)
        if params.pop("suffix", None) is not None or self.suffix is not None:
            raise ValueError("suffix (fill-in-the-middle) applies to text completion (LlamaCpp), not to chat")
        if self.logprobs is not None and "logprobs" not in kwargs:
            params["logprobs"], params["top_logprobs"] = True, self.logprobs
        elif isinstance(params.get("logprobs"), int) and not isinstance(params["logprobs"], bool):
            params["top_logprobs"] = params.setdefault("top_logprobs", params["logprobs"])
            params["logprobs"] = True
        if budget is not None:
            params["reasoning_budget"] = budget
        if self.chat_template_kwargs and "chat_template_kwargs" not in kwargs:
            params["chat_template_kwargs"] = dict(self.chat_template_kwargs)
        if reasoning is not None:
            template_kwargs = dict(params.get("chat_template_kwargs") or {})
            template_kwargs.setdefault("enable_thinking", bool(reasoning))
            params["chat_template_kwargs"] = template_kwargs
        if "grammar" not in kwargs and (params.get("response_format") is not None or params.get("tools")):
            params.pop("grammar", None)  # a structured request replaces the default grammar
        return params

    @model_validator(mode="after")
    def _fill_profile(self) -> ChatLlamaCpp:
        """``profile`` (when not given) from the load parameters: context size and capabilities."""
        if self.profile is None:
            images = bool(self.mmproj_path or self.model_kwargs.get("mmproj_path"))
            self.profile = default_profile(self.n_ctx, images=images)
        return self

    def _model_name_for(self, model: Any) -> str:
        return str(model) if model else self.model_name

    def _call(
        self, messages: list[BaseMessage], stop: list[str] | None, model: Any, kwargs: dict[str, Any]
    ) -> ChatCall:
        """The one request the four generation methods send, with the conversion and the check of its reply.

        The check refuses a reply cut before the tool call it requires (none when a parser checks instead).
        """
        parser_checks = kwargs.pop(_PARSER_CHECKS_CUT, False)
        params = self._chat_params(stop, kwargs)
        check = None if parser_checks else tool_call_check(params)
        return ChatCall(messages, params, self._model_name_for(model), check)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        model = kwargs.pop("model", None)
        llama = self._llama(model)
        call = self._call(messages, stop, model, kwargs)
        with _overflow_as_langchain_error():
            response = llama.run(call.request)
        return call.result(cast(dict[str, Any], response))

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        model = kwargs.pop("model", None)
        llama = self._llama(model)
        call = self._call(messages, stop, model, kwargs)
        with _overflow_as_langchain_error():
            chunks = cast(
                Generator[dict[str, Any], None, None],
                llama.run(call.streamed()),
            )
        try:
            with _overflow_as_langchain_error():
                for raw in chunks:
                    if (generation := call.chunk(raw)) is None:
                        continue
                    if run_manager:
                        run_manager.on_llm_new_token(generation.text, chunk=generation)
                    yield generation
        finally:
            chunks.close()  # stops generation if the caller left early

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        model = kwargs.pop("model", None)
        llama = await self._aload(model)
        call = self._call(messages, stop, model, kwargs)
        with _overflow_as_langchain_error():
            response = await llama.arun(call.request)
        return call.result(response)

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        model = kwargs.pop("model", None)
        llama = await self._aload(model)
        call = self._call(messages, stop, model, kwargs)
        with _overflow_as_langchain_error():
            chunks = await llama.arun(call.streamed())
        try:
            with _overflow_as_langchain_error():
                async for raw in chunks:
                    if (generation := call.chunk(raw)) is None:
                        continue
                    if run_manager:
                        await run_manager.on_llm_new_token(generation.text, chunk=generation)
                    yield generation
        finally:
            await chunks.aclose()  # cancels the native generation when the caller leaves early

    # ----------------------------------------------------------------- tools
    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable | BaseTool],
        *,
        tool_choice: dict[str, Any] | str | bool | None = None,
        parallel_tool_calls: bool | None = None,
        strict: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tools (functions, pydantic classes, ``BaseTool``\\ s or OpenAI tool dicts).

        ``tool_choice``: ``"auto"`` (default: the model decides, and a call,
        once started, is grammar-constrained), ``"any"``/``"required"``/``True``
        (at least one call), ``"none"``, or a tool's name (that tool).  Calls'
        arguments always validate against the tool's schema (``strict`` is
        accepted: it is always so here).  ``parallel_tool_calls=False``
        allows one call per reply.  A reply cut by ``max_tokens`` keeps the
        calls completed before the cut (``finish_reason="length"``); when a
        call was required (``"any"``, a name) and none was complete, or under
        ``"auto"`` the cut came inside a call the model had opened, the call
        raises ``OutputParserException`` instead of returning a reply without
        the call.

        Example::

            >>> from langchain_llama_native import ChatLlamaCpp
            >>> from llama_native.testing import synthetic_model_path
            >>> def add(a: int, b: int) -> int:
            ...     '''Add two integers.'''
            ...     return a + b
            >>> chat = ChatLlamaCpp(model_path=str(synthetic_model_path()), n_ctx=1024, max_tokens=128, temperature=0)
            >>> reply = chat.bind_tools([add], tool_choice="add", parallel_tool_calls=False).invoke("1 plus 2?")
            >>> [(c["name"], sorted(c["args"])) for c in reply.tool_calls]
            [('add', ['a', 'b'])]
        """
        del strict
        formatted = [convert_to_openai_tool(t) for t in tools]
        names = [t["function"]["name"] for t in formatted]
        kwargs["tool_choice"] = openai_tool_choice(tool_choice, names)
        if parallel_tool_calls is not None:
            kwargs["parallel_tool_calls"] = parallel_tool_calls
        return super().bind(tools=formatted, **kwargs)

    # ----------------------------------------------------- structured output
    def with_structured_output(
        self,
        schema: dict[str, Any] | type,
        *,
        method: Literal["json_schema", "function_calling", "json_mode"] = "json_schema",
        include_raw: bool = False,
        strict: bool | None = None,
        schema_prompt: bool = False,
        prop_order: list[str] | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, Any]:
        """A runnable whose output is ``schema``'s type: a pydantic instance, or a dict for TypedDicts and JSON schemas.

        ``method="json_schema"`` (default) constrains the reply to JSON that
        validates against the schema; ``"function_calling"`` forces a call of
        the schema as a tool; ``"json_mode"`` constrains the reply to a JSON
        object (say in the prompt which keys you want).  ``schema_prompt=True``
        adds the schema's skeleton with its field descriptions to the system
        message; ``prop_order`` lists keys to generate first.
        ``include_raw=True`` returns ``{"raw", "parsed", "parsing_error"}``.
        ``strict`` is accepted: output always follows the schema here.  A
        reply cut by ``max_tokens`` (or the context's end) raises
        ``OutputParserException`` naming the limit (with ``include_raw``:
        ``parsed=None`` and the error as ``parsing_error``), never a
        half-filled object; streaming yields the partial objects, then raises.

        Example::

            >>> from pydantic import BaseModel
            >>> from langchain_llama_native import ChatLlamaCpp
            >>> from llama_native.testing import synthetic_model_path
            >>> class Answer(BaseModel):
            ...     ok: bool
            >>> chat = ChatLlamaCpp(model_path=str(synthetic_model_path()), n_ctx=512, max_tokens=32, temperature=0)
            >>> type(chat.with_structured_output(Answer).invoke("Is it?")).__name__
            'Answer'
        """
        if kwargs:
            raise ValueError(f"Received unsupported arguments {kwargs}")
        del strict
        is_pydantic = isinstance(schema, type) and is_basemodel_subclass(schema)
        tracing: dict[str, Any] = {"ls_structured_output_format": {"kwargs": {"method": method}, "schema": schema}}
        if method == "function_calling":
            if schema_prompt or prop_order:
                raise ValueError("schema_prompt and prop_order apply to method='json_schema' and 'json_mode'")
            name = convert_to_openai_tool(schema)["function"]["name"]
            cut_check = {_PARSER_CHECKS_CUT: True}
            llm = self.bind_tools([schema], tool_choice=name, parallel_tool_calls=False, **tracing, **cut_check)
            what = f"the {name} call"
            parser: Runnable = (
                PydanticToolsParser(tools=[cast(Any, schema)], first_tool_only=True)
                if is_pydantic
                else JsonOutputKeyToolsParser(key_name=name, first_tool_only=True)
            )
        elif method in ("json_schema", "json_mode"):
            json_schema = output_json_schema(schema)
            what = f"the {json_schema['title']}" if json_schema.get("title") else "the structured output"
            if method == "json_schema":
                response_format = {
                    "type": "json_schema",
                    "json_schema": {"name": json_schema.get("title") or "output", "schema": json_schema},
                }
            else:
                response_format = {"type": "json_object"}
                if prop_order:
                    raise ValueError("prop_order needs method='json_schema'")
                if schema_prompt:
                    raise ValueError("schema_prompt needs method='json_schema' (json_mode's prompt is yours to write)")
            extra: dict[str, Any] = {"schema_prompt": True} if schema_prompt else {}
            if prop_order:
                extra["prop_order"] = list(prop_order)
            llm = self.bind(response_format=response_format, **extra, **tracing)
            parser = PydanticOutputParser(pydantic_object=cast(Any, schema)) if is_pydantic else JsonOutputParser()
        else:
            raise ValueError(f"method must be 'json_schema', 'function_calling' or 'json_mode', got {method!r}")
        # a reply cut by max_tokens raises before the parser, which would close truncated JSON
        parser = refuse_cut(what, calls_count=method == "function_calling") | parser
        if not include_raw:
            return llm | parser
        parse = RunnablePassthrough.assign(parsed=itemgetter("raw") | parser, parsing_error=lambda _: None)
        no_parse = RunnablePassthrough.assign(parsed=lambda _: None)
        return RunnableMap(raw=llm) | parse.with_fallbacks([no_parse], exception_key="parsing_error")
