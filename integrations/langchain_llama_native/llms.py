"""``LlamaCpp``: a LangChain text-completion LLM over :meth:`llama_native.Llama.create_completion`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Generator, Iterator
from typing import Any, cast

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models.llms import BaseLLM
from langchain_core.outputs import Generation, GenerationChunk, LLMResult

from llama_native.request import CompletionRequest

from ._messages import timing_metadata
from ._params import LOAD_CONFIG, LlamaCppLoadParams, LlamaCppSamplingParams


class LlamaCpp(LlamaCppLoadParams, LlamaCppSamplingParams, BaseLLM):
    """A local GGUF model as a LangChain text-completion LLM (drop-in for langchain-community's ``LlamaCpp``).

    The prompt is completed as is (no chat template); the model loads on
    first use and is shared.

    Setup:
        ``pip install 'llama-native[langchain]'`` and a GGUF file (``model_path=`` or
        ``$LLAMA_NATIVE_MODEL_PATH``).

    Key init args — completion params:
        temperature, max_tokens, top_p, top_k, min_p, repeat_penalty, stop, seed:
            As in llama-cpp-python; each may also be passed per call.
        grammar, grammar_path:
            A GBNF grammar (text, ``LlamaGrammar`` or a ``.gbnf`` file) every output follows.
        echo: bool
            Prefix the output with the prompt.

    Key init args — client params:
        model_path, n_ctx, n_threads, n_gpu_layers, n_batch, n_parallel:
            As for :class:`ChatLlamaCpp`.

    Instantiate:
        .. code-block:: python

            >>> from langchain_llama_native import LlamaCpp
            >>> from llama_native.testing import synthetic_model_path
            >>> llm = LlamaCpp(model_path=str(synthetic_model_path()), n_ctx=256, max_tokens=4,
            ...                grammar='root ::= "yes" | "no"')

    Invoke:
        .. code-block:: python

            >>> llm.invoke("Is the sky blue?") in ("yes", "no")
            True

    Stream:
        .. code-block:: python

            >>> "".join(llm.stream("Is the sky blue?")) in ("yes", "no")
            True

    Async:
        .. code-block:: python

            >>> import asyncio
            >>> asyncio.run(llm.ainvoke("Is grass green?")) in ("yes", "no")
            True
    """

    model_config = LOAD_CONFIG  # unknown parameters are errors, not silently ignored

    @property
    def _llm_type(self) -> str:
        return "llama-native"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_path": self.model_path, **self._default_params}

    def _completion_params(self, stop: list[str] | None, kwargs: dict[str, Any]) -> dict[str, Any]:
        """``create_completion``'s keyword arguments for a call, built here for all four generation methods.

        Their replies become LangChain's by two shared converters too: ``_from_response`` (whole) and
        ``_generation_chunk`` (streamed).  ``_generate`` assembles the stream only when ``streaming``
        asks for callbacks on every token: a whole reply is returned as the model gave it.
        """
        params = self._call_params(stop, kwargs)
        params.setdefault("echo", self.echo)
        if self.logprobs is not None:
            params.setdefault("logprobs", self.logprobs)
        if self.suffix is not None:
            params.setdefault("suffix", self.suffix)
        params.pop("model", None)
        return params

    def _result(self, outputs: list[tuple[Generation, dict[str, int]]]) -> LLMResult:
        """One generation per prompt, with the token usage of all of them."""
        usage = {
            k: sum(u.get(k, 0) for _, u in outputs) for k in ("prompt_tokens", "completion_tokens", "total_tokens")
        }
        return LLMResult(
            generations=[[g] for g, _ in outputs], llm_output={"token_usage": usage, "model_name": self.model_name}
        )

    def _generate(
        self,
        prompts: list[str],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> LLMResult:
        if self.streaming:  # through _stream, so callbacks see every token
            return self._result([_joined(self._stream(p, stop, run_manager, **kwargs)) for p in prompts])
        llama = self._llama(kwargs.get("model"))
        params = self._completion_params(stop, kwargs)
        return self._result([_from_response(cast(dict[str, Any], llama.run(_request(p, params)))) for p in prompts])

    def _stream(
        self,
        prompt: str,
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[GenerationChunk]:
        llama = self._llama(kwargs.get("model"))
        chunks = cast(
            Generator[dict[str, Any], None, None],
            llama.run(_request(prompt, self._completion_params(stop, kwargs), stream=True)),
        )
        try:
            for raw in chunks:
                chunk = _generation_chunk(raw)
                if run_manager:
                    run_manager.on_llm_new_token(chunk.text, chunk=chunk)
                yield chunk
        finally:
            chunks.close()

    async def _agenerate(
        self,
        prompts: list[str],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> LLMResult:
        llama = await self._aload(kwargs.get("model"))
        params = self._completion_params(stop, kwargs)
        return self._result([_from_response(await llama.arun(_request(p, params))) for p in prompts])

    async def _astream(
        self,
        prompt: str,
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[GenerationChunk]:
        llama = await self._aload(kwargs.get("model"))
        chunks = await llama.arun(_request(prompt, self._completion_params(stop, kwargs), stream=True))
        try:
            async for raw in chunks:
                chunk = _generation_chunk(raw)
                if run_manager:
                    await run_manager.on_llm_new_token(chunk.text, chunk=chunk)
                yield chunk
        finally:
            await chunks.aclose()


def _from_response(response: dict[str, Any]) -> tuple[Generation, dict[str, int]]:
    choice = response["choices"][0]
    info = {"finish_reason": choice["finish_reason"], **timing_metadata(response)}
    if choice.get("logprobs") is not None:
        info["logprobs"] = choice["logprobs"]
    return Generation(text=choice["text"], generation_info=info), response["usage"]


def _joined(chunks: Iterator[GenerationChunk]) -> tuple[Generation, dict[str, int]]:
    """A streamed completion as one generation (the last chunk carries finish_reason and usage)."""
    full: GenerationChunk | None = None
    for chunk in chunks:
        full = chunk if full is None else full + chunk
    info = dict(full.generation_info or {}) if full is not None else {}
    usage = info.pop("usage", {})
    return Generation(text=full.text if full is not None else "", generation_info=info or None), usage


def _generation_chunk(raw: dict[str, Any]) -> GenerationChunk:
    choice = raw["choices"][0]
    info: dict[str, Any] = {}
    if choice.get("finish_reason"):
        info["finish_reason"] = choice["finish_reason"]
    if raw.get("usage"):
        info["usage"] = raw["usage"]
    info.update(timing_metadata(raw))
    if choice.get("logprobs") is not None:
        info["logprobs"] = choice["logprobs"]  # chunks merge by concatenating the lists
    return GenerationChunk(text=choice["text"], generation_info=info or None)


def _request(prompt: str, params: dict[str, Any], stream: bool = False) -> CompletionRequest:
    """The typed request of one prompt (read and checked once, as every entry point does)."""
    return CompletionRequest.from_arguments({"prompt": prompt, "stream": stream, **params})
