"""create_chat_completion_openai_v1 with the openai types, and the real instructor package on top."""

from __future__ import annotations

import asyncio
from enum import Enum
from pathlib import Path
from typing import List, Optional

import instructor
import pytest
from openai.types.chat import ChatCompletion, ChatCompletionChunk
from pydantic import BaseModel, Field

from llama_native import Llama


class Role(str, Enum):
    dev = "dev"
    ops = "ops"


class Person(BaseModel):
    name: str = Field(max_length=6)
    age: int = Field(ge=0, le=120)
    role: Optional[Role] = None


class Team(BaseModel):
    members: List[Person] = Field(max_length=2)


MESSAGES = [{"role": "user", "content": "Jason is 30 and works in ops."}]


@pytest.fixture(scope="module")
def llm(model_path: Path) -> Llama:
    return Llama(str(model_path), n_ctx=1024, seed=3)


def test_openai_types(llm: Llama) -> None:
    out = llm.create_chat_completion_openai_v1(messages=MESSAGES, max_tokens=4)
    assert isinstance(out, ChatCompletion) and out.choices[0].message.role == "assistant"
    chunks = list(llm.create_chat_completion_openai_v1(messages=MESSAGES, max_tokens=4, stream=True))
    assert all(isinstance(c, ChatCompletionChunk) for c in chunks) and chunks[-1].usage is not None


@pytest.mark.parametrize("mode", [instructor.Mode.JSON_SCHEMA, instructor.Mode.TOOLS], ids=["json_schema", "tools"])
def test_instructor_response_model(llm: Llama, mode) -> None:
    create = instructor.patch(create=llm.create_chat_completion_openai_v1, mode=mode)
    got = []
    for seed in range(3):
        try:
            team = create(messages=MESSAGES, response_model=Team, max_retries=2, max_tokens=200, seed=seed, temperature=0.7)
        except (instructor.core.InstructorRetryException, instructor.core.IncompleteOutputException):
            continue  # the random model ran out of tokens on every retry
        assert isinstance(team, Team)
        got.append(team)
    assert got


def test_instructor_partial_streaming(llm: Llama) -> None:
    create = instructor.patch(create=llm.create_chat_completion_openai_v1, mode=instructor.Mode.JSON_SCHEMA)
    kwargs = dict(messages=MESSAGES, max_tokens=80, temperature=0)
    final = create(response_model=Person, **kwargs)
    partials = list(create(response_model=instructor.Partial[Person], stream=True, **kwargs))
    assert len(partials) >= 3
    assert partials[-1].model_dump() == final.model_dump()


def test_async_openai_types(llm: Llama) -> None:
    async def main():
        out = await llm.acreate_chat_completion_openai_v1(messages=MESSAGES, max_tokens=3)
        chunks = [c async for c in await llm.acreate_chat_completion_openai_v1(messages=MESSAGES, max_tokens=3, stream=True)]
        return out, chunks

    out, chunks = asyncio.run(main())
    assert isinstance(out, ChatCompletion) and isinstance(chunks[-1], ChatCompletionChunk)


@pytest.mark.parametrize("mode", [instructor.Mode.JSON_SCHEMA, instructor.Mode.TOOLS], ids=["json_schema", "tools"])
def test_instructor_refuses_a_reply_cut_by_max_tokens(llm: Llama, mode) -> None:
    """finish_reason "length" (as from OpenAI) makes instructor raise IncompleteOutputException, not a partial Team."""
    from instructor.core import IncompleteOutputException

    kwargs = dict(messages=MESSAGES, response_model=Team, max_retries=2, max_tokens=6, temperature=0)
    create = instructor.patch(create=llm.create_chat_completion_openai_v1, mode=mode)
    acreate = instructor.patch(create=llm.acreate_chat_completion_openai_v1, mode=mode)
    for run in (lambda: create(**kwargs), lambda: asyncio.run(acreate(**kwargs))):
        with pytest.raises(IncompleteOutputException) as info:
            run()
        completion = info.value.last_completion
        assert completion.choices[0].finish_reason == "length" and completion.usage.completion_tokens == 6
