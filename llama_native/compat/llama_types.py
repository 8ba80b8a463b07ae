"""OpenAI-shaped request and result types, named as llama-cpp-python's ``llama_cpp.llama_types`` names them.

They are ``TypedDict``\\ s: the results are plain dicts (what the API
returns), and these types let a type checker follow them.

Example::

    >>> from llama_native.llama_types import CreateChatCompletionResponse
    >>> reply: CreateChatCompletionResponse = {
    ...     "id": "chatcmpl-1", "object": "chat.completion", "created": 0, "model": "m",
    ...     "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"},
    ...                  "logprobs": None, "finish_reason": "stop"}],
    ...     "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4}}
    >>> reply["choices"][0]["message"]["content"]
    'hi'
"""

from __future__ import annotations

from typing import Any, Literal, TypedDict, Union  # noqa: UP035 (as llama-cpp-python spells them)

from typing_extensions import NotRequired

from ..timings import Timings

#: Why a generation ended: an end token or stop string, ``max_tokens``, a cancel
#: (``Llama.cancel()``, a closed stream, Ctrl-C), or (chat) a reply of tool calls.
FinishReason = Literal["stop", "length", "cancelled", "tool_calls"]


class PromptTokensDetails(TypedDict):
    """Prompt tokens reused from the KV cache instead of decoded."""

    cached_tokens: int


class CompletionUsage(TypedDict):
    """True token counts of one call (an end-of-generation token is not counted)."""

    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    prompt_tokens_details: NotRequired[PromptTokensDetails]


class CompletionChoice(TypedDict):
    """The text of one completion (or of one streamed piece)."""

    text: str
    index: int
    logprobs: dict[str, Any] | None
    finish_reason: Literal["stop", "length", "cancelled"] | None
    #: a llama-native extension, present when the request asked for it (``CompletionRequest.token_ids``)
    token_ids: NotRequired[list[int]]


class Completion(TypedDict):
    """``create_completion``'s result (``object`` is ``"text_completion"``)."""

    id: str
    object: Literal["text_completion"]
    created: int
    model: str
    choices: list[CompletionChoice]
    usage: CompletionUsage
    timings: NotRequired[Timings]  # llama-server's (llama_native.timings); streamed: the last chunk


class CompletionChunk(TypedDict):
    """One streamed piece of a completion; the last one carries ``usage``."""

    id: str
    object: Literal["text_completion"]
    created: int
    model: str
    choices: list[CompletionChoice]
    usage: NotRequired[CompletionUsage]
    timings: NotRequired[Timings]  # llama-server's (llama_native.timings); streamed: the last chunk


#: llama-cpp-python's names for the completion results
CreateCompletionResponse = Completion
CreateCompletionStreamResponse = CompletionChunk


# ------------------------------------------------------------------ chat requests
class ChatCompletionRequestSystemMessage(TypedDict):
    """A system message."""

    role: Literal["system"]
    content: str | None


class ChatCompletionRequestUserMessage(TypedDict):
    """A user message (text, or a list of text content parts)."""

    role: Literal["user"]
    content: str | list[dict[str, Any]] | None


class ChatCompletionMessageToolCallFunction(TypedDict):
    """The function a tool call names, with its arguments as JSON text."""

    name: str
    arguments: str


class ChatCompletionMessageToolCall(TypedDict):
    """One tool call of an assistant message."""

    id: str
    type: Literal["function"]
    function: ChatCompletionMessageToolCallFunction


class ChatCompletionRequestAssistantMessage(TypedDict):
    """An earlier assistant turn, with its tool calls if it made any."""

    role: Literal["assistant"]
    content: NotRequired[str | None]
    tool_calls: NotRequired[list[ChatCompletionMessageToolCall]]


class ChatCompletionRequestToolMessage(TypedDict):
    """A tool's result, answering the call with ``tool_call_id``."""

    role: Literal["tool"]
    content: str | None
    tool_call_id: str


ChatCompletionRequestMessage = (
    ChatCompletionRequestSystemMessage
    | ChatCompletionRequestUserMessage
    | ChatCompletionRequestAssistantMessage
    | ChatCompletionRequestToolMessage
)


class ChatCompletionFunction(TypedDict):
    """A function the model may call: its name, description and JSON-schema parameters."""

    name: str
    description: NotRequired[str]
    parameters: NotRequired[dict[str, Any]]


class ChatCompletionTool(TypedDict):
    """An OpenAI-format tool."""

    type: Literal["function"]
    function: ChatCompletionFunction


# ------------------------------------------------------------------ chat results
class ChatCompletionResponseMessage(TypedDict):
    """The assistant's reply: text, or tool calls (then ``content`` may be None)."""

    role: Literal["assistant"]
    content: str | None
    tool_calls: NotRequired[list[ChatCompletionMessageToolCall]]


class ChatCompletionResponseChoice(TypedDict):
    """One chat reply with why it ended."""

    index: int
    message: ChatCompletionResponseMessage
    logprobs: dict[str, Any] | None
    finish_reason: FinishReason | None


class CreateChatCompletionResponse(TypedDict):
    """``create_chat_completion``'s result (``object`` is ``"chat.completion"``)."""

    id: str
    object: Literal["chat.completion"]
    created: int
    model: str
    choices: list[ChatCompletionResponseChoice]
    usage: CompletionUsage
    timings: NotRequired[Timings]  # llama-server's (llama_native.timings); streamed: the last chunk


class ChatCompletionStreamResponseDelta(TypedDict, total=False):
    """What one streamed chunk adds: the role first, then content or tool calls."""

    role: Literal["assistant"]
    content: str | None
    tool_calls: list[dict[str, Any]]


class ChatCompletionStreamResponseChoice(TypedDict):
    """One streamed chunk's choice."""

    index: int
    delta: ChatCompletionStreamResponseDelta
    logprobs: dict[str, Any] | None
    finish_reason: FinishReason | None


class CreateChatCompletionStreamResponse(TypedDict):
    """One ``chat.completion.chunk``; the last one carries ``usage``."""

    id: str
    object: Literal["chat.completion.chunk"]
    created: int
    model: str
    choices: list[ChatCompletionStreamResponseChoice]
    usage: NotRequired[CompletionUsage]
    timings: NotRequired[Timings]  # llama-server's (llama_native.timings); streamed: the last chunk


# ---------------------------------------------------------------------------
# The rest of llama-cpp-python's ``llama_types`` (MIT), as it defines them, so
# every name it exports imports from here too: embeddings, logprobs, content
# parts, function-call and tool-choice request types, OpenAI-named aliases.

JsonType = Union[None, int, str, bool, list[Any], dict[str, Any]]


class EmbeddingUsage(TypedDict):
    prompt_tokens: int
    total_tokens: int


class Embedding(TypedDict):
    index: int
    object: str
    embedding: list[float] | list[list[float]]


class CreateEmbeddingResponse(TypedDict):
    object: Literal["list"]
    model: str
    data: list[Embedding]
    usage: EmbeddingUsage


class CompletionLogprobs(TypedDict):
    text_offset: list[int]
    token_logprobs: list[float | None]
    tokens: list[str]
    top_logprobs: list[dict[str, float] | None]


class ChatCompletionResponseFunctionCall(TypedDict):
    name: str
    arguments: str


class ChatCompletionTopLogprobToken(TypedDict):
    token: str
    logprob: float
    bytes: list[int] | None


class ChatCompletionLogprobToken(ChatCompletionTopLogprobToken):
    token: str
    logprob: float
    bytes: list[int] | None
    top_logprobs: list[ChatCompletionTopLogprobToken]


class ChatCompletionLogprobs(TypedDict):
    content: list[ChatCompletionLogprobToken] | None
    refusal: list[ChatCompletionLogprobToken] | None


class ChatCompletionMessageToolCallChunkFunction(TypedDict):
    name: str | None
    arguments: str


class ChatCompletionMessageToolCallChunk(TypedDict):
    index: int
    id: NotRequired[str]
    type: Literal["function"]
    function: ChatCompletionMessageToolCallChunkFunction


class ChatCompletionStreamResponseDeltaEmpty(TypedDict):
    pass


class ChatCompletionStreamResponseDeltaFunctionCall(TypedDict):
    name: str
    arguments: str


class ChatCompletionFunctions(TypedDict):
    name: str
    description: NotRequired[str]
    parameters: dict[str, JsonType]


class ChatCompletionFunctionCallOption(TypedDict):
    name: str


class ChatCompletionRequestResponseFormat(TypedDict):
    type: Literal["text", "json_object"]
    schema: NotRequired[JsonType]


class ChatCompletionRequestMessageContentPartText(TypedDict):
    type: Literal["text"]
    text: str


class ChatCompletionRequestMessageContentPartImageImageUrl(TypedDict):
    url: str
    detail: NotRequired[Literal["auto", "low", "high"]]


class ChatCompletionRequestMessageContentPartImage(TypedDict):
    type: Literal["image_url"]
    image_url: str | ChatCompletionRequestMessageContentPartImageImageUrl


ChatCompletionRequestMessageContentPart = Union[
    ChatCompletionRequestMessageContentPartText,
    ChatCompletionRequestMessageContentPartImage,
]

ChatCompletionMessageToolCalls = list[ChatCompletionMessageToolCall]


class ChatCompletionRequestAssistantMessageFunctionCall(TypedDict):
    name: str
    arguments: str


class ChatCompletionRequestFunctionMessage(TypedDict):
    role: Literal["function"]
    content: str | None
    name: str


class ChatCompletionRequestFunctionCallOption(TypedDict):
    name: str


ChatCompletionRequestFunctionCall = Union[Literal["none", "auto"], ChatCompletionRequestFunctionCallOption]

ChatCompletionFunctionParameters = dict[str, JsonType]


class ChatCompletionToolFunction(TypedDict):
    name: str
    description: NotRequired[str]
    parameters: ChatCompletionFunctionParameters


class ChatCompletionNamedToolChoiceFunction(TypedDict):
    name: str


class ChatCompletionNamedToolChoice(TypedDict):
    type: Literal["function"]
    function: ChatCompletionNamedToolChoiceFunction


ChatCompletionToolChoiceOption = Union[Literal["none", "auto", "required"], ChatCompletionNamedToolChoice]

EmbeddingData = Embedding

ChatCompletionMessage = ChatCompletionResponseMessage

ChatCompletionChoice = ChatCompletionResponseChoice

ChatCompletion = CreateChatCompletionResponse

ChatCompletionChunkDeltaEmpty = ChatCompletionStreamResponseDeltaEmpty

ChatCompletionChunkChoice = ChatCompletionStreamResponseChoice

ChatCompletionChunkDelta = ChatCompletionStreamResponseDelta

ChatCompletionChunk = CreateChatCompletionStreamResponse

ChatCompletionStreamResponse = CreateChatCompletionStreamResponse

ChatCompletionResponseFunction = ChatCompletionFunction

ChatCompletionFunctionCall = ChatCompletionResponseFunctionCall
