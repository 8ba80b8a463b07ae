"""``CompletionRequest`` and ``ChatRequest``: one call's arguments, read and checked once.

Each public entry point (``Llama`` and ``RemoteLlama``'s methods, the
server's request bodies, the LangChain and LlamaIndex adapters) turns its
arguments into one of these frozen objects; everything below takes the object,
so no layer lists, converts or checks a parameter again.  Sampling options
live in :class:`SamplingOptions`, structure in :class:`StructureSpec`, tools
in :class:`ToolSpec`.

Example::

    >>> from llama_native.request import ChatRequest
    >>> r = ChatRequest.from_arguments({"messages": [{"role": "user", "content": "hi"}], "temperature": 0.0,
    ...                                 "tool_choice": None, "top_n_sigma": 1.0})
    >>> r.sampling.temperature, r.sampling.top_n_sigma, r.tools.mode
    (0.0, 1.0, 'none')
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from .sampling import SamplingOptions
from .structure import StructureSpec
from .tools import ToolSpec

LogprobsShape = Literal["completion", "chat", "llama"]


def check_max_tokens(max_tokens: int | None) -> int | None:
    """``max_tokens`` (None or 0: until an end token or the end of the context), checked."""
    if max_tokens is not None and (not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens < 0):
        raise ValueError(f"max_tokens must be a non-negative integer or None, got {max_tokens!r}")
    return max_tokens or None


def stop_strings(stop: None | str | Sequence[str]) -> tuple[str, ...]:
    """``stop`` (one string or a list) as a tuple of non-empty strings, checked."""
    if stop is None:
        return ()
    stops = [stop] if isinstance(stop, str) else list(stop)
    for s in stops:
        if not isinstance(s, str):
            raise ValueError(f"stop must be a string or a list of strings, got {s!r}")
    return tuple(s for s in stops if s)


def check_reasoning_budget(budget: int | None) -> int | None:
    """``reasoning_budget`` (None: no cap), or ``ValueError`` unless it is an integer >= 0."""
    if budget is not None and (isinstance(budget, bool) or not isinstance(budget, int) or budget < 0):
        raise ValueError(f"reasoning_budget must be an integer >= 0, got {budget!r}")
    return budget


def _check_hooks(args: Mapping[str, Any]) -> None:
    for name in ("stopping_criteria", "logits_processor"):
        hook = args.get(name)
        if hook is not None and not callable(hook):
            raise ValueError(f"{name} must be callable (input_ids, scores), got {type(hook).__name__}")


def _sampling(args: Mapping[str, Any], extra: Mapping[str, Any], method: str) -> SamplingOptions:
    """The sampling options among a call's arguments; ``extra`` holds the keyword-only extensions."""
    unknown = sorted(k for k in extra if k not in SamplingOptions.extension_names())
    if unknown:
        raise TypeError(f"{method}() got unexpected keyword arguments: {', '.join(unknown)}")
    return SamplingOptions.pick({**args, **extra})


@dataclass(frozen=True)
class CompletionRequest:
    """One text completion (``Llama.create_completion``'s arguments, checked).

    ``logprobs_shape`` and ``media`` are set by the chat layer, which
    completes its prompt through this request: the shape of the
    log-probabilities it reports, and the prompt's images.  ``affinity``
    routes a remote request to the server holding its prefix.
    """

    prompt: str | bytes | Sequence[int]
    sampling: SamplingOptions = field(default_factory=SamplingOptions)
    structure: StructureSpec = field(default_factory=StructureSpec)
    max_tokens: int | None = 16
    stop: tuple[str, ...] = ()
    stream: bool = False
    model: str | None = None
    suffix: str | None = None
    echo: bool = False
    logprobs: int | None = None
    logprobs_shape: LogprobsShape = "completion"
    reasoning_budget: int | None = None
    reasoning_markers: tuple[str, ...] | None = None
    stopping_criteria: Callable[..., Any] | None = None
    logits_processor: Callable[..., Any] | None = None
    media: Any = None
    affinity: str | None = None
    #: the slot (sequence) of a parallel model to run in, waiting for it (llama-server's ``id_slot``); None: any
    slot: int | None = None
    #: each choice (streamed or not) also carries ``token_ids``: the ids of its generated tokens
    token_ids: bool = False
    #: a stream sends one chunk per token, a possible stop string held back whole tokens at a time, as
    #: llama-cpp-python streams (False: llama-server's chunking, the text of each step whole)
    stream_per_token: bool = True

    @classmethod
    def from_arguments(cls, args: Mapping[str, Any], extra: Mapping[str, Any] | None = None) -> CompletionRequest:
        """A request from ``create_completion``'s arguments (``extra``: its other keyword arguments).

        Unknown keys of ``args`` are refused too, so an adapter that builds
        the arguments as a dict gets the same ``TypeError`` as a caller.
        """
        extra = dict(extra or {})
        extra.update({k: v for k, v in args.items() if k not in _COMPLETION_ARGUMENTS})
        sampling = _sampling(args, extra, "create_completion")
        logprobs = args.get("logprobs")
        if logprobs is not None and (isinstance(logprobs, bool) or not isinstance(logprobs, int) or logprobs < 0):
            raise ValueError(f"logprobs must be an integer >= 0 (the number of top tokens to list), got {logprobs!r}")
        _check_hooks(args)
        structure = StructureSpec.for_completion(
            args.get("json_schema"), args.get("grammar"), args.get("prop_order"), bool(args.get("schema_prompt")),
            args.get("json_whitespace"),
        )  # fmt: skip
        if structure.schema_prompt and not isinstance(args["prompt"], (str, bytes)):
            raise ValueError("schema_prompt=True needs a text prompt, not token ids")
        markers = args.get("reasoning_markers")
        return cls(
            prompt=args["prompt"],
            sampling=sampling,
            structure=structure,
            max_tokens=check_max_tokens(args.get("max_tokens")),
            stop=stop_strings(args.get("stop")),
            stream=bool(args.get("stream")),
            model=args.get("model"),
            suffix=args.get("suffix"),
            echo=bool(args.get("echo")),
            logprobs=logprobs,
            reasoning_budget=args.get("reasoning_budget"),
            reasoning_markers=None if markers is None else tuple(markers),
            stopping_criteria=args.get("stopping_criteria"),
            logits_processor=args.get("logits_processor"),
        )

    def replace(self, **changes: Any) -> CompletionRequest:
        """A copy with ``changes``."""
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class ChatRequest:
    """One chat completion (``Llama.create_chat_completion``'s arguments, checked).

    ``top_logprobs`` is None without ``logprobs``; ``affinity`` routes a
    remote request to the server holding its prefix.
    """

    messages: list[dict[str, Any]]
    sampling: SamplingOptions = field(default_factory=lambda: SamplingOptions(temperature=0.2))
    structure: StructureSpec = field(default_factory=StructureSpec)
    tools: ToolSpec = field(default_factory=ToolSpec)
    max_tokens: int | None = None
    stop: tuple[str, ...] = ()
    stream: bool = False
    model: str | None = None
    logprobs: bool = False
    top_logprobs: int | None = None
    reasoning_budget: int | None = None
    chat_template_kwargs: Mapping[str, Any] = field(default_factory=dict)
    logits_processor: Callable[..., Any] | None = None
    affinity: str | None = None
    #: the slot (sequence) of a parallel model to run in, waiting for it (llama-server's ``id_slot``); None: any
    slot: int | None = None
    #: a stream's content comes one chunk per token, as llama-cpp-python streams (False: llama-server's chunking)
    stream_per_token: bool = True
    #: the caller's arguments as given (a llama-cpp-python chat handler takes them)
    arguments: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_arguments(cls, args: Mapping[str, Any], extra: Mapping[str, Any] | None = None) -> ChatRequest:
        """A request from ``create_chat_completion``'s arguments (``extra``: its other keyword arguments).

        Unknown keys of ``args`` are refused too, so an adapter that builds
        the arguments as a dict gets the same ``TypeError`` as a caller.
        """
        extra = dict(extra or {})
        extra.update({k: v for k, v in args.items() if k not in _CHAT_ARGUMENTS})
        sampling = _sampling(args, extra, "create_chat_completion")
        logprobs, top_logprobs = args.get("logprobs"), args.get("top_logprobs")
        if isinstance(logprobs, int) and not isinstance(logprobs, bool) and top_logprobs is None:
            top_logprobs = logprobs  # llama-cpp-python's completion-style count, given to chat
        if top_logprobs is not None and not logprobs:
            raise ValueError("top_logprobs needs logprobs=True (as in OpenAI's API)")
        if top_logprobs is not None and (
            isinstance(top_logprobs, bool) or not isinstance(top_logprobs, int) or top_logprobs < 0
        ):
            raise ValueError(f"top_logprobs must be an integer >= 0, got {top_logprobs!r}")
        _check_hooks(args)
        messages = args["messages"]
        tools = ToolSpec.from_openai(
            args.get("tools"),
            args.get("tool_choice"),
            functions=args.get("functions"),
            function_call=args.get("function_call"),
            parallel_tool_calls=args.get("parallel_tool_calls"),
            max_tool_calls=args.get("max_tool_calls"),
        )
        structure = StructureSpec.for_chat(
            args.get("response_format"), args.get("grammar"), args.get("prop_order"),
            bool(args.get("schema_prompt")), args.get("json_whitespace"),
        )  # fmt: skip
        either = structure.schema is not None and structure.grammar is None and tools.mode == "auto"
        if not either and (structure.schema is not None) + (structure.grammar is not None) + (tools.mode != "none") > 1:
            raise ValueError(
                "use one of response_format, grammar and tool calling per request "
                "(tools under tool_choice='auto' may come with a response_format)"
            )
        budget = check_reasoning_budget(args.get("reasoning_budget"))
        return cls(
            messages=messages,
            sampling=sampling,
            structure=structure,
            tools=tools,
            max_tokens=check_max_tokens(args.get("max_tokens")),
            stop=stop_strings(args.get("stop")),
            stream=bool(args.get("stream")),
            model=args.get("model"),
            logprobs=bool(logprobs),
            top_logprobs=top_logprobs if logprobs else None,
            reasoning_budget=budget,
            chat_template_kwargs=dict(args.get("chat_template_kwargs") or {}),
            logits_processor=args.get("logits_processor"),
            arguments={**args, **extra},
        )

    def replace(self, **changes: Any) -> ChatRequest:
        """A copy with ``changes``."""
        return dataclasses.replace(self, **changes)


#: what ``create_completion`` takes besides the extension sampling options
_COMPLETION_ARGUMENTS = frozenset(
    (
        "prompt", "suffix", "max_tokens", "logprobs", "echo", "stop", "stream", "model", "grammar", "json_schema",
        "prop_order", "schema_prompt", "json_whitespace", "reasoning_budget", "reasoning_markers",
        "stopping_criteria", "logits_processor", *SamplingOptions.names(),
    )
)  # fmt: skip

#: what ``create_chat_completion`` takes besides the extension sampling options
_CHAT_ARGUMENTS = frozenset(
    (
        "messages", "functions", "function_call", "tools", "tool_choice", "stream", "stop", "response_format",
        "max_tokens", "model", "grammar", "logprobs", "top_logprobs", "parallel_tool_calls", "schema_prompt",
        "prop_order", "chat_template_kwargs", "json_whitespace", "max_tool_calls", "reasoning_budget",
        "logits_processor", *SamplingOptions.names(),
    )
)  # fmt: skip
