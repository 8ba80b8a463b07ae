"""``LlamaCpp``: a LangChain text-completion LLM over :meth:`llama_native.Llama.create_completion`."""

from __future__ import annotations

from typing import Any, AsyncIterator, Dict, Iterator, List, Optional

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models.llms import BaseLLM
from langchain_core.outputs import Generation, GenerationChunk, LLMResult


from ._params import LOAD_CONFIG, LlamaCppLoadParams, LlamaCppSamplingParams


class LlamaCpp(LlamaCppLoadParams, LlamaCppSamplingParams, BaseLLM):
    """A local GGUF model as a LangChain text-completion LLM (drop-in for langchain-community's ``LlamaCpp``).

    The prompt is completed as is (no chat template).  ``stop`` strings,
    ``grammar``/``grammar_path``, streaming and native async work as in the
    chat model; the model loads on first use and is shared.

    Example::

        >>> from langchain_llama_native import LlamaCpp
        >>> from llama_native.testing import synthetic_model_path
        >>> llm = LlamaCpp(model_path=str(synthetic_model_path()), n_ctx=256, max_tokens=4,
        ...                grammar='root ::= "yes" | "no"')
        >>> llm.invoke("Is the sky blue?") in ("yes", "no")
        True
    """

    model_config = LOAD_CONFIG  # unknown parameters are errors, not silently ignored

    @property
    def _llm_type(self) -> str:
        return "llama-native"

    @property
    def _identifying_params(self) -> Dict[str, Any]:
        return {"model_path": self.model_path, **self._default_params}

    def _completion_params(self, stop: Optional[List[str]], kwargs: Dict[str, Any]) -> Dict[str, Any]:
        params = self._call_params(stop, kwargs)
        params.setdefault("echo", self.echo)
        params.pop("model", None)
        return params

    @staticmethod
    def _generation(response: Dict[str, Any]) -> Generation:
        choice = response["choices"][0]
        return Generation(text=choice["text"], generation_info={"finish_reason": choice["finish_reason"]})

    def _generate(
        self,
        prompts: List[str],
        stop: Optional[List[str]] = None,
        run_manager: Optional[CallbackManagerForLLMRun] = None,
        **kwargs: Any,
    ) -> LLMResult:
        llama = self._llama(kwargs.get("model"))
        generations: List[List[Generation]] = []
        usage = {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}
        for prompt in prompts:
            if self.streaming:
                text, info = "", None
                for chunk in self._stream(prompt, stop, run_manager, **kwargs):
                    text += chunk.text
                    info = chunk.generation_info or info
                generations.append([Generation(text=text, generation_info=info)])
                continue
            response = llama.create_completion(prompt, **self._completion_params(stop, kwargs))
            generations.append([self._generation(response)])
            for key in usage:
                usage[key] += response["usage"][key]
        return LLMResult(generations=generations, llm_output={"token_usage": usage, "model_name": self.model_name})

    def _stream(
        self,
        prompt: str,
        stop: Optional[List[str]] = None,
        run_manager: Optional[CallbackManagerForLLMRun] = None,
        **kwargs: Any,
    ) -> Iterator[GenerationChunk]:
        llama = self._llama(kwargs.get("model"))
        chunks = llama.create_completion(prompt, stream=True, **self._completion_params(stop, kwargs))
        try:
            for raw in chunks:
                chunk = _generation_chunk(raw)
                if run_manager:
                    run_manager.on_llm_new_token(chunk.text, chunk=chunk)
                yield chunk
        finally:
            chunks.close()  # type: ignore[union-attr]

    async def _agenerate(
        self,
        prompts: List[str],
        stop: Optional[List[str]] = None,
        run_manager: Optional[AsyncCallbackManagerForLLMRun] = None,
        **kwargs: Any,
    ) -> LLMResult:
        llama = await self._aload(kwargs.get("model"))
        generations: List[List[Generation]] = []
        usage = {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}
        for prompt in prompts:
            response = await llama.acreate_completion(prompt, **self._completion_params(stop, kwargs))
            generations.append([self._generation(response)])
            for key in usage:
                usage[key] += response["usage"][key]
        return LLMResult(generations=generations, llm_output={"token_usage": usage, "model_name": self.model_name})

    async def _astream(
        self,
        prompt: str,
        stop: Optional[List[str]] = None,
        run_manager: Optional[AsyncCallbackManagerForLLMRun] = None,
        **kwargs: Any,
    ) -> AsyncIterator[GenerationChunk]:
        llama = await self._aload(kwargs.get("model"))
        chunks = await llama.acreate_completion(prompt, stream=True, **self._completion_params(stop, kwargs))
        try:
            async for raw in chunks:
                chunk = _generation_chunk(raw)
                if run_manager:
                    await run_manager.on_llm_new_token(chunk.text, chunk=chunk)
                yield chunk
        finally:
            await chunks.aclose()

    def get_num_tokens(self, text: str) -> int:
        """Tokens in ``text`` by the model's own tokenizer."""
        return len(self.client.tokenize(text.encode("utf-8"), add_bos=False))


def _generation_chunk(raw: Dict[str, Any]) -> GenerationChunk:
    choice = raw["choices"][0]
    info: Dict[str, Any] = {}
    if choice.get("finish_reason"):
        info["finish_reason"] = choice["finish_reason"]
    if raw.get("usage"):
        info["usage"] = raw["usage"]
    return GenerationChunk(text=choice["text"], generation_info=info or None)
