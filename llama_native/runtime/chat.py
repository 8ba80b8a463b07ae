"""Chat completions: messages -> prompt, grammar and stop strings -> a completion -> chat dicts.

What ``Llama.create_chat_completion`` and the chat formatter do, as plain
functions over what they need (the model's tokenizer and template, and a
function that completes prompt tokens), so the chat layer does not depend on
``Llama``.

Example::

    >>> from llama_native import Llama
    >>> from llama_native.testing import synthetic_model_path
    >>> llm = Llama(str(synthetic_model_path()), n_ctx=256)
    >>> formatter = chat_formatter_for(llm._model, None, llm.chat_template)
    >>> "Hello" in formatter(messages=[{"role": "user", "content": "Hello"}]).prompt
    True
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from .. import _native
from ..chat.completion import Tokenize, chat_completion, chat_completion_chunks, prepare_chat
from ..chat.formats import ChatFormatter, get_chat_formatter
from ..chat.template_layer import TemplateLayer
from ..chat.templates import Jinja2ChatFormatter
from ..images import MediaTokenizer, load_image, new_marker, split_image_parts
from ..request import ChatRequest, CompletionRequest, StructureSpec

DEFAULT_CHAT_FORMAT = "chatml"


def chat_formatter_for(model: _native.Model, chat_format: str | None, chat_template: str | None) -> ChatFormatter:
    """What turns messages into the prompt: ``chat_format`` if given, else the GGUF's template, else ChatML."""
    if chat_format:
        return get_chat_formatter(chat_format)
    if chat_template:
        bos = model.token_text(model.token_bos).decode("utf-8", "replace") if model.token_bos >= 0 else ""
        eos = model.token_text(model.token_eos).decode("utf-8", "replace") if model.token_eos >= 0 else ""
        formatter = Jinja2ChatFormatter(chat_template, eos_token=eos, bos_token=bos, stop_token_ids=model.eog_tokens())
        # requests with tools go through llama.cpp's chat layer, in the template's own tool syntax
        formatter.template_layer = TemplateLayer(model, chat_template, bos, eos)
        return formatter
    return get_chat_formatter(DEFAULT_CHAT_FORMAT)


def create_chat_completion(
    complete: Callable[[CompletionRequest], Any],
    formatter: ChatFormatter,
    model: _native.Model,
    whitespace: str,
    request: ChatRequest,
    projector: _native.Projector | None = None,
    tokenize: Tokenize | None = None,
) -> dict[str, Any] | Iterator[dict[str, Any]]:
    """One chat request (see ``Llama.create_chat_completion``).

    ``complete(completion_request)`` is the model's text completion; the
    request it gets carries the chat's sampling options unchanged.
    ``projector``: the model's image projector, which reads the messages'
    ``image_url`` parts (None: images are refused).  ``tokenize``: the
    tokenizer to use instead of ``model.tokenize`` (a remote request's, bound
    to the server its generation will go to).
    """
    messages, tokenize = _with_images(request.messages, model, projector, tokenize or model.tokenize)
    prepared = prepare_chat(formatter, tokenize, model.add_bos, messages, request, whitespace=whitespace)
    markers = None
    if request.reasoning_budget is not None:
        if prepared.reasoning_markers is None:
            raise ValueError("reasoning_budget needs a chat template that marks reasoning; this one marks none")
        markers = prepared.reasoning_markers
    completion = CompletionRequest(
        prompt=prepared.prompt_tokens,
        sampling=request.sampling,
        structure=StructureSpec(grammar=prepared.grammar),
        max_tokens=request.max_tokens,
        stop=tuple(prepared.stop),
        stream=request.stream,
        model=request.model,
        logprobs=(request.top_logprobs or 0) if request.logprobs else None,
        logprobs_shape="chat",
        reasoning_budget=request.reasoning_budget,
        reasoning_markers=markers,
        logits_processor=request.logits_processor,
        media=getattr(tokenize, "media", None),
        affinity=request.affinity,
        slot=request.slot,
        stream_per_token=request.stream_per_token,
    )
    result = complete(completion)
    if request.stream:
        return chat_completion_chunks(result, prepared)
    return chat_completion(result, prepared)


def _with_images(
    messages: Any, model: _native.Model, projector: _native.Projector | None, tokenize: Tokenize
) -> tuple[Any, Tokenize]:
    """The messages with their images as marker texts, and the tokenizer that puts the images back."""
    if not isinstance(messages, (list, tuple)):
        return messages, tokenize  # (prepare_chat says what is wrong)
    marker = new_marker()
    messages, sources = split_image_parts(messages, marker)
    if not sources:
        return messages, tokenize
    if projector is None:
        raise ValueError(
            f"the messages hold {len(sources)} image(s) but this model has no projector to read them: "
            "load it with Llama(model_path, mmproj_path=<its mmproj GGUF>)"
        )
    images = [load_image(source, f"image {i}") for i, source in enumerate(sources, 1)]
    return messages, MediaTokenizer(model, projector, marker, images)


def as_openai_types(result: Any, stream: bool) -> Any:
    """A chat result as the ``openai`` package's ``ChatCompletion`` (or an iterator of ``ChatCompletionChunk``)."""
    try:
        from openai.types.chat import ChatCompletion, ChatCompletionChunk
    except ImportError:
        raise ImportError(
            "create_chat_completion_openai_v1 needs the openai package: pip install 'llama-native[openai]'"
        ) from None
    if stream:
        return (ChatCompletionChunk(**chunk) for chunk in result)
    return ChatCompletion(**result)


def as_openai_types_async(result: Any, stream: bool) -> Any:
    """:func:`as_openai_types` for an awaited result (an async iterator with ``stream``)."""
    from openai.types.chat import ChatCompletion, ChatCompletionChunk

    if stream:

        async def chunks() -> Any:
            async for chunk in result:
                yield ChatCompletionChunk(**chunk)

        return chunks()
    return ChatCompletion(**result)
