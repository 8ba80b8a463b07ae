"""``chat_format="functionary-v2"`` with ``stream=True`` side by side with llama-cpp-python 0.3.36.

The stand-in functionary tokenizer of ``test_lcp_functionary_v2.py`` (its
program's first part, reused) runs under both packages, on SmolLM2 and the
micro model, greedy: every prompt completed (token ids) and every streamed
chunk (``id``/``created`` and tool call ids, random or time-based there,
dropped) under ``tool_choice`` unset (a call, and content on a conversation
whose assistant turns answer ``all``), named, ``"none"``, without tools and
with legacy ``functions`` (named and ``"auto"``); and, where
llama-cpp-python's streamed deltas join to its non-streamed reply, ours do too.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest
from lcp_venv import run_lcp, run_ours
from test_lcp_functionary_v2 import PROGRAM as V2_PROGRAM

PROGRAM = (
    V2_PROGRAM[: V2_PROGRAM.index("out = {}")]
    + r"""
CHAT = [
    {"role": "system", "content": "You are helpful."},
    {"role": "user", "content": "Hello"},
    {"role": "assistant", "content": "Hello! How are you?"},
    {"role": "user", "content": "Fine, thanks. Say hello again"},
    {"role": "assistant", "content": "Hello again!"},
    {"role": "user", "content": "Once more"},
]
NAMED = {"type": "function", "function": {"name": "get_weather"}}
CASES = [("auto", CONV, dict(tools=TOOLS)), ("auto_content", CHAT, dict(tools=TOOLS)),
         ("named", CONV, dict(tools=TOOLS, tool_choice=NAMED)), ("none", CONV, dict(tools=TOOLS, tool_choice="none")),
         ("no_tools", CONV, {}), ("functions", CONV, dict(functions=[TOOLS[0]["function"]],
          function_call={"name": "get_weather"})), ("functions_auto", CONV, dict(functions=[TOOLS[0]["function"]]))]
out = {}
llm = Llama(MODEL, n_ctx=512, chat_format="functionary-v2", verbose=False, seed=7,
            tokenizer=LlamaHFTokenizer(FunctionaryTokenizer("v2")))
prompts = []
create_completion = llm.create_completion
def spy(*args, **kwargs):
    prompts.append(llm.tokenize(kwargs["prompt"].encode(), special=True))
    return create_completion(*args, **kwargs)
llm.create_completion = spy
for name, conv, kwargs in CASES:
    result = {}
    for stream in (True, False):
        llm.reset()
        prompts.clear()
        r = llm.create_chat_completion(copy.deepcopy(conv), temperature=0, max_tokens=12, stream=stream, **kwargs)
        r = json.loads(json.dumps(list(r) if stream else r))
        for c in r if stream else [r]:
            assert c["id"].startswith("chatcmpl-"), c["id"]
            c.pop("id"), c.pop("created")
            c.pop("usage", None)
            choice = c["choices"][0]
            for call in (choice["delta"] if stream else choice["message"]).get("tool_calls") or []:
                assert call.pop("id").startswith("call_")
        result["stream" if stream else "reply"] = r
        result["stream_prompts" if stream else "prompts"] = list(prompts)
    out[name] = result
print(json.dumps(out))
"""
)
CASES = ["auto", "auto_content", "named", "none", "no_tools", "functions", "functions_auto"]
# Without functions (and with "none") the handler converts create_completion's stream, as there; that stream
# releases text held back as a possible stop string (here "<|stop|>") in one chunk where llama-cpp-python
# sends one chunk per token ("<|from" here, "<", "|", "from" there): a difference of Llama.create_completion
# (not of this handler), so there the deltas are compared regrouped.
PLAIN = {"none", "no_tools"}


def coarsened(chunks: list[dict[str, Any]]) -> list[Any]:
    """The chunks with their content deltas' text dropped (compared on its own by ``grouped``)."""
    out = json.loads(json.dumps(chunks))
    for chunk in out:
        if chunk["choices"][0]["delta"].get("content"):
            chunk["choices"][0]["delta"]["content"] = "..."
    return [c for i, c in enumerate(out) if i == 0 or c != out[i - 1] or "content" not in c["choices"][0]["delta"]]


def grouped(ours: list[dict[str, Any]], theirs: list[dict[str, Any]]) -> bool:
    """Whether each of our content deltas is a run of consecutive deltas of theirs (and all of them)."""

    def texts(chunks: list[dict[str, Any]]) -> list[str]:
        return [t for c in chunks if (t := c["choices"][0]["delta"].get("content"))]

    rest = texts(theirs)
    for text in texts(ours):
        run = ""
        while rest and len(run) < len(text):
            run += rest.pop(0)
        if run != text:
            return False
    return not rest


# The embedded micro model only: on SmolLM2 the same comparison takes over two minutes (two
# interpreters importing transformers and generating), and test_lcp_functionary_v2.py covers SmolLM2.
@pytest.fixture(scope="module", params=["micro"])
def both(request: pytest.FixtureRequest) -> tuple[dict[str, Any], dict[str, Any]]:
    from llama_native import MICRO_MODEL_PATH
    from llama_native.testing import smollm2_model_path

    spec = importlib.util.find_spec("transformers")
    if spec is None or spec.origin is None:
        pytest.skip("transformers is not installed (the test extra installs it)")
    path = smollm2_model_path() if request.param == "smollm2" else Path(MICRO_MODEL_PATH)
    if path is None:
        pytest.skip("SmolLM2 is not installed")
    site = str(Path(spec.origin).parent.parent)
    source = f"MODEL = {str(path)!r}\nSITE = {site!r}\n" + PROGRAM
    return json.loads(run_lcp(source)), json.loads(run_ours(source))


def joined(chunks: list[dict[str, Any]]) -> dict[str, Any]:
    """The message the streamed deltas add up to (content, each call's name and arguments), and the finish."""
    content: str | None = None
    calls: dict[int, dict[str, str]] = {}
    finish = None
    for chunk in chunks:
        choice = chunk["choices"][0]
        delta = choice["delta"]
        finish = choice.get("finish_reason") or finish
        if delta.get("content") is not None:
            content = (content or "") + delta["content"]
        legacy = [{"index": 0, "function": delta["function_call"]}] if delta.get("function_call") else []
        for call in (delta.get("tool_calls") or []) + legacy:
            got = calls.setdefault(call["index"], {"name": "", "arguments": ""})
            got["name"] += call["function"]["name"] or ""
            got["arguments"] += call["function"]["arguments"] or ""
    return {"content": content or None, "calls": [calls[i] for i in sorted(calls)], "finish_reason": finish}


def replied(reply: dict[str, Any]) -> dict[str, Any]:
    choice = reply["choices"][0]
    message = choice["message"]
    calls = [c["function"] for c in message.get("tool_calls") or []]
    if message.get("function_call"):
        calls = [message["function_call"]]
    calls = [{"name": c["name"], "arguments": c["arguments"]} for c in calls]
    return {"content": message["content"] or None, "calls": calls, "finish_reason": choice["finish_reason"]}


@pytest.mark.parametrize("case", CASES)
def test_streamed_chunks_are_llama_cpp_pythons(both: tuple[dict[str, Any], dict[str, Any]], case: str) -> None:
    theirs, ours = both
    assert len(ours[case]["stream_prompts"]) >= 1 and len(ours[case]["stream_prompts"][0]) > 50
    assert ours[case]["stream_prompts"] == theirs[case]["stream_prompts"], "the prompts completed differ (token ids)"
    assert len(ours[case]["stream"]) >= 2
    if case in PLAIN:
        assert coarsened(theirs[case]["stream"]) == coarsened(ours[case]["stream"])
        assert grouped(ours[case]["stream"], theirs[case]["stream"]), "not the same deltas, even regrouped"
    else:
        assert ours[case]["stream"] == theirs[case]["stream"], "the streamed chunks differ (greedy)"
    assert ours[case]["reply"] == theirs[case]["reply"], "the non-streamed replies differ (greedy)"


@pytest.mark.parametrize("case", CASES)
def test_joined_deltas_are_the_reply_where_llama_cpp_pythons_are(
    both: tuple[dict[str, Any], dict[str, Any]], case: str
) -> None:
    theirs, ours = both
    if joined(theirs[case]["stream"]) == replied(theirs[case]["reply"]):
        assert joined(ours[case]["stream"]) == replied(ours[case]["reply"])


def test_what_streams(both: tuple[dict[str, Any], dict[str, Any]]) -> None:
    ours = both[1]
    named = joined(ours["named"]["stream"])
    assert named["finish_reason"] == "tool_calls" and named["calls"][0]["name"] == "get_weather"
    assert named["calls"][0]["arguments"].lstrip().startswith("{")
    legacy = ours["functions"]["stream"]
    assert joined(legacy)["finish_reason"] == "function_call" and legacy[0]["choices"][0]["delta"]["function_call"]
    assert ours["none"]["stream"][0]["choices"][0]["delta"] == {"role": "assistant"}
