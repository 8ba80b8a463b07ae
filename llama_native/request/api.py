"""``CompletionAPI``: llama-cpp-python's completion and chat methods, written once for every backend.

``Llama`` (in process) and ``RemoteLlama`` (a fleet of servers) inherit these
methods.  Each turns its arguments into a :class:`CompletionRequest` or
:class:`ChatRequest` (the one place they are read and checked) and hands it to
the backend's :meth:`CompletionAPI.run`; a caller that already holds a request
(the server, the integrations) calls ``run`` or ``arun`` directly.

Sampling options that llama-cpp-python's signatures do not list (such as
``top_n_sigma``) are keyword arguments of both methods: they are the
extension fields of :class:`SamplingOptions`, so a new one needs no change here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from ..compat.llama_types import Completion, CompletionChunk
from ..grammar import LlamaGrammar
from ..runtime.threads import run_in_own_thread, stream_in_own_thread
from .requests import ChatRequest, CompletionRequest


def _arguments(scope: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """A method's named arguments and its ``**kwargs``, from its ``locals()`` taken first thing."""
    args = {k: v for k, v in scope.items() if k not in ("self", "kwargs", "__class__")}
    return args, dict(scope.get("kwargs") or {})


class CompletionAPI:
    """The OpenAI-shaped completion and chat methods (see :class:`llama_native.Llama`)."""

    def run(self, request: CompletionRequest | ChatRequest) -> Any:
        """Carry out a request: a ``text_completion``/``chat.completion`` dict, or its chunks when streamed."""
        raise NotImplementedError

    def _cancel_thread(self, thread_id: int | None) -> None:
        """Stop the generation that thread ``thread_id`` runs (an async caller was cancelled)."""
        raise NotImplementedError

    def _custom_chat(self, args: dict[str, Any], extra: dict[str, Any]) -> Any:
        """A chat answered by a user's chat handler (``NotImplemented``: none; the request runs here)."""
        return NotImplemented

    def create_completion(
        self,
        prompt: str | bytes | Sequence[int],
        suffix: str | None = None,
        max_tokens: int | None = 16,
        temperature: float = 0.8,
        top_p: float = 0.95,
        min_p: float = 0.05,
        typical_p: float = 1.0,
        logprobs: int | None = None,
        echo: bool = False,
        stop: None | str | list[str] = None,
        frequency_penalty: float = 0.0,
        presence_penalty: float = 0.0,
        repeat_penalty: float = 1.0,
        top_k: int = 40,
        stream: bool = False,
        seed: int | None = None,
        model: str | None = None,
        grammar: None | str | LlamaGrammar = None,
        logit_bias: dict[int | str, float] | None = None,
        json_schema: Any = None,
        prop_order: Sequence[str] | None = None,
        schema_prompt: bool = False,
        json_whitespace: str | None = None,
        reasoning_budget: int | None = None,
        reasoning_markers: Sequence[str] | None = None,
        tfs_z: float = 1.0,
        mirostat_mode: int = 0,
        mirostat_tau: float = 5.0,
        mirostat_eta: float = 0.1,
        stopping_criteria: Callable[[np.ndarray, np.ndarray], bool] | None = None,
        logits_processor: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
        **kwargs: Any,
    ) -> Completion | Iterator[CompletionChunk]:
        """Complete ``prompt``; returns a ``text_completion`` dict, or chunks with ``stream=True``.

        ``max_tokens=None`` (or 0) generates until an end-of-generation token,
        a stop string or the end of the context.  ``stop`` strings are never
        part of the text.  ``grammar`` (a :class:`LlamaGrammar` or GBNF text)
        constrains the output.  The last streamed chunk carries ``usage``.

        ``json_schema`` (a dict, JSON string, pydantic model or TypedDict)
        constrains the output to JSON that validates against it, keys in
        schema order or ``prop_order``.  Keywords the grammar only
        approximates are checked with ``jsonschema`` whenever a token would
        complete the value, and such a token is refused when the value would
        be invalid, so a completed output always validates;
        ``SchemaValidationError`` is raised (never invalid JSON returned) if
        the model paints itself into a corner where no valid ending is left.
        ``schema_prompt=True`` prepends the schema's skeleton with its field descriptions ("Generate JSON output in the
        following format: ...") to the prompt.  ``json_whitespace`` (default: the
        model's ``json_whitespace``, ``"lcp"``) is what the schema's grammar allows
        between JSON tokens: ``"lcp"``, ``"free"``, ``"llama-server"``, ``"compact"`` or ``"pretty"``.
        ``reasoning_budget`` caps the tokens written inside a reasoning block
        whose opening and closing markers ``reasoning_markers`` names
        (``("<think>", "</think>")``); once spent, the closing marker is
        forced, as llama-server's ``--reasoning-budget`` (0: close at once).

        ``logprobs=N`` reports each generated token's log-probability and the
        ``N`` most likely tokens at its position (OpenAI's legacy shape:
        ``tokens``, ``text_offset``, ``token_logprobs``, ``top_logprobs``),
        streamed chunks too; with ``echo`` the prompt's tokens come first.
        ``suffix`` makes a fill-in-the-middle prompt from the model's FIM
        tokens (``ValueError`` for a model without them); the text is the
        middle.  ``mirostat_mode`` 1 or 2 samples with Mirostat (v1/v2)
        instead of top-k/top-p/min-p (temperature 0 stays greedy).
        ``tfs_z`` other than 1.0 raises ``NotImplementedError`` (llama.cpp
        removed tail-free sampling).  ``logits_processor(input_ids, scores)
        -> scores`` and ``stopping_criteria(input_ids, scores) -> bool`` are
        llama-cpp-python's hooks (a ``LogitsProcessorList`` /
        ``StoppingCriteriaList`` or any callable; numpy arrays; input_ids
        holds the prompt and the tokens so far); the criteria see the token
        just chosen in input_ids, and the output keeps it.  Keyword arguments
        beyond these are the extension fields of
        :class:`~llama_native.request.SamplingOptions` (``top_n_sigma``).

        On a :class:`~llama_native.remote.RemoteLlama` the hooks,
        ``logprobs``, ``suffix``, ``echo`` and ``reasoning_budget`` raise
        ``NotImplementedError`` (they run in process only).

        Example::

            >>> from llama_native import Llama
            >>> from llama_native.testing import synthetic_model_path
            >>> llm = Llama(str(synthetic_model_path()), n_ctx=128)
            >>> out = llm.create_completion("x", max_tokens=3, grammar='root ::= "yes" | "no"', temperature=0)
            >>> out["choices"][0]["text"] in ("yes", "no")
            True
        """
        args, extra = _arguments(locals())
        result: Completion | Iterator[CompletionChunk] = self.run(CompletionRequest.from_arguments(args, extra))
        return result

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
        reasoning_budget: int | None = None,
        tfs_z: float = 1.0,
        mirostat_mode: int = 0,
        mirostat_tau: float = 5.0,
        mirostat_eta: float = 0.1,
        logits_processor: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
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
        (``"lcp"``, ``"free"``, ``"llama-server"``, ``"compact"``, ``"pretty"``; default: the model's) is what
        the schema and tool-argument grammars allow between JSON tokens.
        A reply holds at most ``max_tool_calls`` calls (default: one per
        tool; one with ``parallel_tool_calls=False`` or a named choice), so
        a model cannot repeat calls until ``max_tokens``; a reply cut by
        ``max_tokens`` keeps the calls completed before the cut
        (``finish_reason="length"``).  The last streamed chunk carries
        ``usage``.  A template that marks reasoning (``<think>``, gpt-oss's
        analysis channel, ...) gets it back apart, as ``reasoning_content``;
        ``reasoning_budget`` caps its tokens, then the end of thinking is
        forced (``ValueError`` for a template that marks none).
        ``logprobs=True`` (with ``top_logprobs=N``) reports each token's
        log-probability in OpenAI's chat shape, streamed chunks too;
        ``mirostat_*``, ``tfs_z``, ``logits_processor`` and the extension
        sampling options (``top_n_sigma``) act as in :meth:`create_completion`.

        Example::

            >>> from llama_native import Llama
            >>> from llama_native.testing import synthetic_model_path
            >>> llm = Llama(str(synthetic_model_path()), n_ctx=256)
            >>> choice = {"type": "json_schema", "json_schema": {"name": "c", "schema": {"enum": ["a", "b"]}}}
            >>> out = llm.create_chat_completion([{"role": "user", "content": "Pick one"}], response_format=choice)
            >>> out["choices"][0]["message"]["content"] in ('"a"', '"b"')
            True
        """
        args, extra = _arguments(locals())
        custom = self._custom_chat(args, extra)
        if custom is not NotImplemented:
            return custom
        result: dict[str, Any] | Iterator[dict[str, Any]] = self.run(ChatRequest.from_arguments(args, extra))
        return result

    def __call__(self, prompt: str | bytes | Sequence[int], *args: Any, **kwargs: Any) -> Any:
        """Same as :meth:`create_completion`."""
        return self.create_completion(prompt, *args, **kwargs)

    def create_chat_completion_openai_v1(self, *args: Any, **kwargs: Any) -> Any:
        """:meth:`create_chat_completion` returning the ``openai`` package's types.

        ``ChatCompletion`` (or an iterator of ``ChatCompletionChunk`` with
        ``stream=True``), so OpenAI-client code and ``instructor`` work::

            import instructor
            create = instructor.patch(create=llm.create_chat_completion_openai_v1, mode=instructor.Mode.JSON_SCHEMA)
            person = create(messages=[...], response_model=Person, max_retries=2)
        """
        from ..runtime.chat import as_openai_types

        return as_openai_types(self.create_chat_completion(*args, **kwargs), bool(kwargs.get("stream")))

    async def acreate_chat_completion_openai_v1(self, *args: Any, **kwargs: Any) -> Any:
        """Async :meth:`create_chat_completion_openai_v1` (an async iterator with ``stream=True``)."""
        from ..runtime.chat import as_openai_types_async

        result = await self.acreate_chat_completion(*args, **kwargs)
        return as_openai_types_async(result, bool(kwargs.get("stream")))

    # ----------------------------------------------------------------- async
    async def acreate_completion(self, *args: Any, **kwargs: Any) -> Any:
        """Awaitable :meth:`create_completion`; with ``stream=True`` an async iterator of chunks.

        The call runs on a thread of its own (``_threads``), so the event loop
        keeps running; cancelling the task or leaving the stream stops the
        generation within one token.

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
        return await self._in_own_thread(lambda: self.create_completion(*args, **kwargs), bool(kwargs.get("stream")))

    async def acreate_chat_completion(self, *args: Any, **kwargs: Any) -> Any:
        """Awaitable :meth:`create_chat_completion`; with ``stream=True`` an async iterator of chunks."""
        work = lambda: self.create_chat_completion(*args, **kwargs)  # noqa: E731
        return await self._in_own_thread(work, bool(kwargs.get("stream")))

    async def arun(self, request: CompletionRequest | ChatRequest) -> Any:
        """Awaitable :meth:`run` (on a thread of its own; an async iterator of chunks for a streamed request)."""
        return await self._in_own_thread(lambda: self.run(request), request.stream)

    async def _in_own_thread(self, work: Callable[[], Any], stream: bool) -> Any:
        if stream:
            return stream_in_own_thread(work, self._cancel_thread)
        return await run_in_own_thread(work, self._cancel_thread)
