"""LlamaCpp (text completion) and LlamaCppEmbeddings: stop strings, streaming, async, grammar, batched embeddings."""

from __future__ import annotations

import asyncio
import math
from pathlib import Path
from typing import List

import pytest
from langchain_core.prompts import PromptTemplate
from pydantic import ValidationError

from langchain_llama_native import LlamaCpp, LlamaCppEmbeddings
from llama_native import Llama

from helpers import MODEL_KINDS, model_path_for


@pytest.fixture(scope="module", params=MODEL_KINDS)
def path(request: pytest.FixtureRequest) -> Path:
    return model_path_for(request.param)


@pytest.fixture(scope="module")
def llm(path: Path) -> LlamaCpp:
    return LlamaCpp(model_path=str(path), n_ctx=512, max_tokens=24, temperature=0)


def test_invoke_equals_the_python_api_and_stream(llm: LlamaCpp) -> None:
    text = llm.invoke("Once upon a time")
    direct = llm.client.create_completion("Once upon a time", max_tokens=24, temperature=0)["choices"][0]["text"]
    assert text == direct
    assert "".join(llm.stream("Once upon a time")) == text
    streamed = LlamaCpp(model_path=llm.model_path, n_ctx=512, max_tokens=24, temperature=0, streaming=True)
    assert streamed.invoke("Once upon a time") == text and streamed.client is llm.client


def test_stop_strings_end_the_text_and_are_not_part_of_it(llm: LlamaCpp) -> None:
    text = llm.invoke("Once upon a time")
    if len(text) < 4:
        pytest.skip("the model stopped at once")  # pragma: no cover - the random models write 24 tokens
    stop = text[2:4]
    assert llm.invoke("Once upon a time", stop=[stop]) == text[: text.index(stop)]
    with_field = LlamaCpp(model_path=llm.model_path, n_ctx=512, max_tokens=24, temperature=0, stop=[stop])
    assert with_field.invoke("Once upon a time") == text[: text.index(stop)]


def test_async_and_batch(llm: LlamaCpp) -> None:
    prompts = ["a", "b", "c"]
    single = [llm.invoke(p) for p in prompts]
    assert llm.batch(prompts) == single
    assert asyncio.run(llm.abatch(prompts)) == single

    async def stream() -> List[str]:
        return [piece async for piece in llm.astream("a")]

    pieces = asyncio.run(stream())
    assert len(pieces) >= 2 and "".join(pieces) == single[0]


def test_generate_reports_usage_and_finish_reason(llm: LlamaCpp) -> None:
    result = llm.generate(["x", "y"])
    assert [len(g) for g in result.generations] == [1, 1]
    assert all(g[0].generation_info["finish_reason"] in ("stop", "length") for g in result.generations)
    usage = result.llm_output["token_usage"]
    assert 0 < usage["completion_tokens"] <= 48 and usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    assert llm.get_num_tokens("hello world") == len(llm.client.tokenize(b"hello world", add_bos=False))


def test_grammar_and_grammar_path(llm: LlamaCpp, tmp_path: Path) -> None:
    chain = PromptTemplate.from_template("Q: {q}\nA:") | LlamaCpp(
        model_path=llm.model_path, n_ctx=512, max_tokens=8, grammar='root ::= [0-9]{1,3}')
    assert chain.invoke({"q": "how many?"}).isdigit()
    gbnf = tmp_path / "yn.gbnf"
    gbnf.write_text('root ::= "yes" | "no"\n')
    assert LlamaCpp(model_path=llm.model_path, n_ctx=512, max_tokens=4, grammar_path=str(gbnf)).invoke("?") in ("yes", "no")
    with pytest.raises(ValidationError, match="at most one"):
        LlamaCpp(model_path=llm.model_path, grammar="root ::= \"a\"", grammar_path=str(gbnf))
    with pytest.raises(ValidationError, match="logprobs"):
        LlamaCpp(model_path=llm.model_path, logprobs=-1)


def test_embeddings_are_batched_consistently_sync_and_async(path: Path) -> None:
    emb = LlamaCppEmbeddings(model_path=str(path), n_ctx=256)
    texts = ["red apples", "green pears", "blue sky", "red apples"]
    docs = emb.embed_documents(texts)
    assert len(docs) == 4 and len({len(d) for d in docs}) == 1 and len(docs[0]) == emb.client.n_embd()
    single = [emb.embed_query(t) for t in texts]
    for a, b in zip(docs, single):
        assert max(abs(x - y) for x, y in zip(a, b)) < 1e-3  # one batch or one by one: the same vectors
    assert docs[0] == docs[3]
    assert asyncio.run(emb.aembed_documents(texts)) == docs
    assert asyncio.run(emb.aembed_query("blue sky")) == single[2]
    unit = LlamaCppEmbeddings(model_path=str(path), n_ctx=256, normalize=True).embed_query("blue sky")
    assert math.isclose(sum(x * x for x in unit), 1.0, rel_tol=1e-4)
    assert isinstance(emb.client, Llama) and emb.client.context_params["embedding"]


def test_embeddings_need_a_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LLAMA_NATIVE_MODEL_PATH", raising=False)
    with pytest.raises(ValueError, match="LLAMA_NATIVE_MODEL_PATH"):
        LlamaCppEmbeddings().embed_query("x")
