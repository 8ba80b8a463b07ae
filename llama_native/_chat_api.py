"""``Llama.create_chat_completion`` and the chat-format plumbing (a mixin of :class:`~llama_native.Llama`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .chat.completion import chat_completion, chat_completion_chunks, prepare_chat
from .chat.formats import ChatFormatter, get_chat_formatter
from .chat.templates import Jinja2ChatFormatter
from .grammar import LlamaGrammar

DEFAULT_CHAT_FORMAT = "chatml"


class ChatMixin:
    """Chat completions over the model's own template (or a named format)."""

    chat_format: str | None
    chat_template: str | None
    _chat_formatter: ChatFormatter | None

    @property
    def chat_formatter(self) -> ChatFormatter:
        """What turns messages into the prompt: ``chat_format`` if given, else the GGUF's template, else ChatML."""
        if self._chat_formatter is None:
            if self.chat_format:
                self._chat_formatter = get_chat_formatter(self.chat_format)
            elif self.chat_template:
                model = self._model  # type: ignore[attr-defined]
                bos = model.token_text(model.token_bos).decode("utf-8", "replace") if model.token_bos >= 0 else ""
                eos = model.token_text(model.token_eos).decode("utf-8", "replace") if model.token_eos >= 0 else ""
                self._chat_formatter = Jinja2ChatFormatter(
                    self.chat_template, eos_token=eos, bos_token=bos, stop_token_ids=model.eog_tokens()
                )
            else:
                self._chat_formatter = get_chat_formatter(DEFAULT_CHAT_FORMAT)
        return self._chat_formatter

    def create_chat_completion(
        self,
        messages: list[dict[str, Any]],
        functions: list[dict[str, Any]] | None = None,
        function_call: Any = None,
        tools: list[dict[str, Any]] | None = None,
        tool_choice: Any = None,
        temperature: float = 0.2,
        top_p: float = 0.95,
        top_k: int = 40,
        min_p: float = 0.05,
        typical_p: float = 1.0,
        stream: bool = False,
        stop: None | str | list[str] = None,
        seed: int | None = None,
        response_format: Any = None,
        max_tokens: int | None = None,
        presence_penalty: float = 0.0,
        frequency_penalty: float = 0.0,
        repeat_penalty: float = 1.0,
        model: str | None = None,
        grammar: None | str | LlamaGrammar = None,
        logit_bias: dict[int | str, float] | None = None,
        logprobs: bool | None = None,
        top_logprobs: int | None = None,
        parallel_tool_calls: bool | None = None,
        schema_prompt: bool = False,
        prop_order: list[str] | None = None,
        chat_template_kwargs: dict[str, Any] | None = None,
        json_whitespace: str | None = None,
        max_tool_calls: int | None = None,
        **kwargs: Any,
    ) -> dict[str, Any] | Iterator[dict[str, Any]]:
        """Answer ``messages``: a ``chat.completion`` dict, or ``chat.completion.chunk`` dicts with ``stream=True``.

        ``response_format`` is ``{"type": "json_object"}`` (any JSON object),
        ``{"type": "json_object", "schema": {...}}`` or OpenAI's
        ``{"type": "json_schema", "json_schema": {"name": ..., "schema": {...}}}``:
        the reply is then JSON that validates.  ``tools`` (OpenAI format) with
        ``tool_choice`` "auto" (default), "required", "none" or
        ``{"type": "function", "function": {"name": ...}}`` produce
        ``tool_calls`` whose arguments always validate against the tool's
        parameters.  ``schema_prompt=True`` adds the schema's field
        descriptions to the system message; ``prop_order`` puts the listed
        keys of the ``response_format`` schema first.  ``json_whitespace``
        (``"free"``, ``"compact"``, ``"pretty"``; default: the model's) is what
        the schema and tool-argument grammars allow between JSON tokens.
        A reply holds at most ``max_tool_calls`` calls (default: one per
        tool; one with ``parallel_tool_calls=False`` or a named choice), so
        a model cannot repeat calls until ``max_tokens``; a reply cut by
        ``max_tokens`` keeps the calls completed before the cut
        (``finish_reason="length"``).  The last streamed chunk carries
        ``usage``.

        Example::

            >>> from llama_native import Llama
            >>> from llama_native.testing import synthetic_model_path
            >>> llm = Llama(str(synthetic_model_path()), n_ctx=256)
            >>> choice = {"type": "json_schema", "json_schema": {"name": "c", "schema": {"enum": ["a", "b"]}}}
            >>> out = llm.create_chat_completion([{"role": "user", "content": "Pick one"}], response_format=choice)
            >>> out["choices"][0]["message"]["content"] in ('"a"', '"b"')
            True
        """
        if logprobs or top_logprobs:
            raise ValueError("logprobs is not supported yet")
        if functions is not None:  # the legacy OpenAI API
            if tools is not None:
                raise ValueError("pass either functions or tools, not both")
            tools = [{"type": "function", "function": f} for f in functions]
            if isinstance(function_call, dict):
                tool_choice = {"type": "function", "function": {"name": function_call.get("name")}}
            elif function_call is not None:
                tool_choice = function_call
        prepared = prepare_chat(
            self,  # type: ignore[arg-type]
            messages,
            tools=tools,
            tool_choice=tool_choice,
            parallel_tool_calls=parallel_tool_calls,
            response_format=response_format,
            grammar=grammar,
            schema_prompt=schema_prompt,
            stop=stop,
            prop_order=prop_order,
            template_kwargs=dict(chat_template_kwargs or {}),
            whitespace=self._json_whitespace(json_whitespace),  # type: ignore[attr-defined]
            max_tool_calls=max_tool_calls,
        )
        result = self.create_completion(  # type: ignore[attr-defined]
            prepared.prompt_tokens,
            max_tokens=max_tokens,
            temperature=temperature,
            top_p=top_p,
            top_k=top_k,
            min_p=min_p,
            typical_p=typical_p,
            stop=prepared.stop,
            stream=stream,
            seed=seed,
            model=model,
            presence_penalty=presence_penalty,
            frequency_penalty=frequency_penalty,
            repeat_penalty=repeat_penalty,
            grammar=prepared.grammar,
            logit_bias=logit_bias,
            **kwargs,
        )
        if stream:
            return chat_completion_chunks(result, prepared)
        return chat_completion(result, prepared)

    def create_chat_completion_openai_v1(self, *args: Any, **kwargs: Any) -> Any:
        """:meth:`create_chat_completion` returning the ``openai`` package's types.

        ``ChatCompletion`` (or an iterator of ``ChatCompletionChunk`` with
        ``stream=True``), so OpenAI-client code and ``instructor`` work::

            import instructor
            create = instructor.patch(create=llm.create_chat_completion_openai_v1, mode=instructor.Mode.JSON_SCHEMA)
            person = create(messages=[...], response_model=Person, max_retries=2)
        """
        try:
            from openai.types.chat import ChatCompletion, ChatCompletionChunk
        except ImportError:
            raise ImportError(
                "create_chat_completion_openai_v1 needs the openai package: pip install 'llama-native[openai]'"
            ) from None
        result: Any = self.create_chat_completion(*args, **kwargs)
        if kwargs.get("stream"):
            return (ChatCompletionChunk(**chunk) for chunk in result)
        return ChatCompletion(**result)

    async def acreate_chat_completion_openai_v1(self, *args: Any, **kwargs: Any) -> Any:
        """Async :meth:`create_chat_completion_openai_v1` (an async iterator with ``stream=True``)."""
        from openai.types.chat import ChatCompletion, ChatCompletionChunk

        result = await self.acreate_chat_completion(*args, **kwargs)  # type: ignore[attr-defined]
        if kwargs.get("stream"):

            async def chunks() -> Any:
                async for chunk in result:
                    yield ChatCompletionChunk(**chunk)

            return chunks()
        return ChatCompletion(**result)
