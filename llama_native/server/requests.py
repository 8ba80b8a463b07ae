"""Request bodies of the OpenAI endpoints, with llama-native's extensions as extra fields.

Unknown fields are refused (400 naming them): a client that sends a
parameter the server would not honour learns it at once.  So is a chat
message whose ``role`` is not one of OpenAI's (:data:`CHAT_ROLES`).  The extensions:
``top_k``, ``min_p``, ``typical_p``, ``repeat_penalty``, ``mirostat_*``,
``grammar`` (GBNF), ``prop_order``, ``schema_prompt``, ``json_whitespace``,
``max_tool_calls``, ``reasoning_budget``, ``chat_template_kwargs``, the
extension fields of :class:`~llama_native.request.SamplingOptions`
(``top_n_sigma``) and, for text completions, ``json_schema``.  A body becomes
the typed request with ``to_request``.  ``user`` is accepted as an identifier
(it changes nothing, as in OpenAI's API).

llama-server's fields on these routes are accepted too (:data:`LLAMA_SERVER_FIELDS`
says what each means here): ``n_predict`` (the token limit when ``max_tokens``
is not given; -1: none), top-level ``json_schema`` in chat (as a
``json_schema`` ``response_format``), ``add_generation_prompt`` (only true)
and ``continue_final_message`` (only false), and ``id_slot``,
``cache_prompt``, ``timings_per_token``, ``return_progress`` and ``verbose``,
which change nothing.

Example::

    >>> from llama_native.server.requests import ChatCompletionRequest
    >>> r = ChatCompletionRequest(messages=[{"role": "user", "content": "hi"}], max_completion_tokens=5)
    >>> r.llama_kwargs()["max_tokens"]
    5
"""

from __future__ import annotations

import typing
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model, field_validator, model_validator

from ..request import ChatRequest, SamplingOptions
from ..request import CompletionRequest as CompletionArguments

_FORBID = ConfigDict(extra="forbid")

if TYPE_CHECKING:
    _SamplingExtensions = BaseModel
else:  # SamplingOptions' extension fields, optional: a new one needs no change here
    _hints = typing.get_type_hints(SamplingOptions)
    _SamplingExtensions = create_model(
        "_SamplingExtensions",
        __config__=_FORBID,
        **{name: (_hints[name] | None, None) for name in SamplingOptions.extension_names()},
    )

#: the roles of OpenAI's chat messages
CHAT_ROLES = ("system", "developer", "user", "assistant", "tool", "function")


def check_roles(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``messages``, or ``ValueError`` naming the first message whose role is missing or not OpenAI's."""
    roles = ", ".join(CHAT_ROLES)
    for i, message in enumerate(messages):
        if "role" not in message:
            raise ValueError(f"messages[{i}] has no 'role' (one of {roles})")
        role = message["role"]
        if not isinstance(role, str) or role not in CHAT_ROLES:
            raise ValueError(f"messages[{i}].role is {role!r}, not one of OpenAI's chat roles ({roles})")
    return messages


#: llama-server's request fields of the OpenAI routes, and what each means on this server
LLAMA_SERVER_FIELDS = {
    "n_predict": "the token limit when max_tokens (max_completion_tokens) is not given; -1: no limit",
    "json_schema": "chat: a JSON Schema the reply follows (as response_format json_schema); not with response_format",
    "add_generation_prompt": "chat: only true (the template's assistant header always ends the prompt)",
    "continue_final_message": "chat: only false (a final assistant message is not continued)",
    "id_slot": "the slot (sequence) the request runs in, modulo the slots, waiting for it; -1: the scheduler picks",
    "cache_prompt": "accepted; the longest cached prefix is always reused",
    "timings_per_token": "accepted; no per-token timings are sent",
    "return_progress": "accepted; no prompt-progress events are sent",
    "verbose": "accepted; no debug fields are added",
}


class StreamOptions(BaseModel):
    """``stream_options``: ``include_usage`` adds a last chunk with the usage and no choices."""

    model_config = _FORBID
    include_usage: bool = False


class _Sampling(_SamplingExtensions):
    """Sampling fields shared by chat and text completions."""

    model_config = _FORBID

    model: str | None = None
    temperature: float = 0.8
    top_p: float = 0.95
    top_k: int = 40
    min_p: float = 0.05
    typical_p: float = 1.0
    repeat_penalty: float = 1.0
    presence_penalty: float = 0.0
    frequency_penalty: float = 0.0
    mirostat_mode: int = 0
    mirostat_tau: float = 5.0
    mirostat_eta: float = 0.1
    seed: int | None = None
    stop: str | list[str] | None = None
    logit_bias: dict[str, float] | None = None
    n: int = Field(default=1, ge=1, le=16)
    stream: bool = False
    stream_options: StreamOptions | None = None
    grammar: str | None = None
    prop_order: list[str] | None = None
    schema_prompt: bool = False
    json_whitespace: Literal["free", "compact", "pretty", "lcp", "llama-server"] | None = None
    user: str | None = None
    # llama-server's fields (LLAMA_SERVER_FIELDS)
    n_predict: int | None = Field(default=None, ge=-1)
    id_slot: int | None = None
    cache_prompt: bool | None = None
    timings_per_token: bool | None = None
    return_progress: bool | None = None
    verbose: bool | None = None

    def slot(self) -> int | None:
        """The slot asked for with ``id_slot`` (None: any)."""
        return self.id_slot if self.id_slot is not None and self.id_slot >= 0 else None

    @model_validator(mode="after")
    def _check_stream(self) -> _Sampling:
        if self.stream and self.n > 1:
            raise ValueError("n > 1 cannot be streamed; ask for one choice per streamed request")
        if self.stream_options is not None and not self.stream:
            raise ValueError("stream_options needs stream=true")
        return self

    def _limit(self, max_tokens: int | None) -> int | None:
        """``max_tokens``, or llama-server's ``n_predict`` when max_tokens was not given (-1: no limit)."""
        if self.n_predict is not None and not ({"max_tokens", "max_completion_tokens"} & self.model_fields_set):
            return None if self.n_predict < 0 else self.n_predict
        return max_tokens

    def _sampling_kwargs(self) -> dict[str, Any]:
        out = {
            "temperature": self.temperature,
            "top_p": self.top_p,
            "top_k": self.top_k,
            "min_p": self.min_p,
            "typical_p": self.typical_p,
            "repeat_penalty": self.repeat_penalty,
            "presence_penalty": self.presence_penalty,
            "frequency_penalty": self.frequency_penalty,
            "mirostat_mode": self.mirostat_mode,
            "mirostat_tau": self.mirostat_tau,
            "mirostat_eta": self.mirostat_eta,
            "seed": self.seed,
            "stop": self.stop,
            "logit_bias": self.logit_bias,
            "grammar": self.grammar,
            "prop_order": self.prop_order,
            "schema_prompt": self.schema_prompt,
            "json_whitespace": self.json_whitespace,
        }
        out.update({name: getattr(self, name) for name in SamplingOptions.extension_names()})
        return {k: v for k, v in out.items() if v is not None}


class ChatCompletionRequest(_Sampling):
    """``POST /v1/chat/completions``."""

    messages: list[dict[str, Any]] = Field(min_length=1)
    max_tokens: int | None = Field(default=None, ge=0)
    max_completion_tokens: int | None = Field(default=None, ge=0)
    tools: list[dict[str, Any]] | None = None
    tool_choice: Any = None
    parallel_tool_calls: bool | None = None
    functions: list[dict[str, Any]] | None = None
    function_call: Any = None
    response_format: dict[str, Any] | None = None
    logprobs: bool | None = None
    top_logprobs: int | None = Field(default=None, ge=0, le=20)
    max_tool_calls: int | None = Field(default=None, ge=1)
    reasoning_budget: int | None = Field(default=None, ge=0)
    chat_template_kwargs: dict[str, Any] | None = None
    json_schema: dict[str, Any] | None = None
    add_generation_prompt: bool | None = None
    continue_final_message: bool | None = None

    @model_validator(mode="after")
    def _check_llama_server_fields(self) -> ChatCompletionRequest:
        if self.json_schema is not None and self.response_format is not None:
            raise ValueError("json_schema and response_format cannot both be set; pass one")
        if self.add_generation_prompt is False:
            raise ValueError("add_generation_prompt=false is not supported (the prompt always ends with the "
                             "assistant's header); render it with /apply-template and use /completion")
        if self.continue_final_message:
            raise ValueError("continue_final_message=true is not supported; render the conversation with "
                             "/apply-template and continue it with /completion")
        return self

    @field_validator("messages")
    @classmethod
    def _check_roles(cls, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return check_roles(messages)

    def llama_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``Llama.create_chat_completion`` (without ``stream``)."""
        out = self._sampling_kwargs()
        limit = self.max_completion_tokens if self.max_completion_tokens is not None else self.max_tokens
        out["max_tokens"] = self._limit(limit)
        if self.json_schema is not None:
            schema = {"name": "response", "schema": self.json_schema}
            out["response_format"] = {"type": "json_schema", "json_schema": schema}
        for name in (
            "tools", "tool_choice", "parallel_tool_calls", "functions", "function_call", "response_format",
            "logprobs", "top_logprobs", "max_tool_calls", "reasoning_budget", "chat_template_kwargs",
        ):  # fmt: skip
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        return out

    def to_request(self, **changes: Any) -> ChatRequest:
        """The typed request (``changes``: arguments to set, such as another ``seed``)."""
        request = ChatRequest.from_arguments({**self.llama_kwargs(), "messages": self.messages,
                                              "stream": self.stream, **changes})
        return request.replace(slot=self.slot(), stream_per_token=False)


class CompletionRequest(_Sampling):
    """``POST /v1/completions``."""

    prompt: str | list[str] | list[int] | list[list[int]]
    suffix: str | None = None
    max_tokens: int | None = Field(default=16, ge=0)
    logprobs: int | None = Field(default=None, ge=0, le=20)
    echo: bool = False
    best_of: int | None = None
    json_schema: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _check_best_of(self) -> CompletionRequest:
        if self.best_of not in (None, 1, self.n):
            raise ValueError("best_of (server-side candidates ranked by log-probability) is not supported")
        return self

    def prompts(self) -> list[str | list[int]]:
        """The prompts: one string, several strings, one token list or several."""
        p = self.prompt
        if isinstance(p, str):
            return [p]
        if p and all(isinstance(x, int) for x in p):
            return [list(p)]  # type: ignore[arg-type]
        return list(p)  # type: ignore[arg-type]

    def llama_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``Llama.create_completion`` (without the prompt and ``stream``)."""
        out = self._sampling_kwargs()
        out.update(max_tokens=self._limit(self.max_tokens), echo=self.echo)
        for name in ("suffix", "logprobs", "json_schema"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        return out

    def to_request(self, prompt: str | list[int], **changes: Any) -> CompletionArguments:
        """The typed request for one of :meth:`prompts` (``changes``: arguments to set, such as another ``seed``)."""
        arguments = {**self.llama_kwargs(), "prompt": prompt, "stream": self.stream, **changes}
        extra = {k: arguments.pop(k) for k in SamplingOptions.extension_names() if k in arguments}
        return CompletionArguments.from_arguments(arguments, extra).replace(slot=self.slot(), stream_per_token=False)


#: one embedding input: text, token ids, or llama-server's ``{"content": ...}`` / ``{"prompt_string": ...}``
EmbeddingItem = str | list[int] | dict[str, Any]


class EmbeddingRequest(BaseModel):
    """``POST /v1/embeddings``: OpenAI's fields, plus llama-server's ``content``, ``embd_normalize`` and ``truncate``.

    ``input`` (or ``content``) is a string, token ids, or a list of those;
    ``embd_normalize`` is llama-server's: -1 none, 0 max-abs int16 scale,
    1 taxicab, 2 Euclidean (default, as llama-server), p > 2 p-norm.
    ``truncate=true`` cuts an input longer than the context instead of refusing it.
    """

    model_config = _FORBID
    input: EmbeddingItem | list[EmbeddingItem] | None = None
    content: EmbeddingItem | list[EmbeddingItem] | None = None
    model: str | None = None
    encoding_format: Literal["float", "base64"] = "float"
    dimensions: int | None = None
    user: str | None = None
    embd_normalize: int = 2
    truncate: bool = False

    @model_validator(mode="after")
    def _one_input(self) -> EmbeddingRequest:
        if (self.input is None) == (self.content is None):
            raise ValueError("give the texts to embed as 'input' (or llama-server's 'content'), once")
        return self
