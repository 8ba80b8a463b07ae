"""Any OpenAI-compatible server (vLLM, SGLang, Ollama, llama-native's own): requests passed on, outputs checked.

Such a server renders the prompt with its own template and enforces
``response_format`` json_schema and tool parameters with its own guided
decoding, if it has any; the client cannot send it our grammar.  What holds
is therefore weaker than with a llama.cpp server, and this module makes the
difference loud rather than silent: every finished output is validated here
(the content against the ``response_format`` schema, each tool call's
arguments against its tool's parameters), and an invalid one raises
``SchemaValidationError`` naming the server.  ``schema_prompt`` is applied
here (the schema's skeleton added to the system message); ``prop_order``
reorders the schema's properties, which servers whose converter keeps the
schema's key order (llama-server, llama-native, vLLM's xgrammar) follow.
GBNF ``grammar``, ``json_whitespace`` and the Python hooks need a llama.cpp
server and are refused.

Example::

    >>> check_content('{"a": 1}', {"type": "object", "required": ["a"]}, "http://x")
    >>> try:
    ...     check_content('{"b": 1}', {"type": "object", "required": ["a"]}, "http://x")
    ... except ValueError as exc:
    ...     print(str(exc).split("schema: ", 1)[1])
    the output does not validate: (root): 'a' is a required property
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from typing import Any

from ..schema import SchemaValidationError
from ..schema.validation import make_validator, validate_text
from .errors import RemoteStreamError
from .transport import DONE, Transport


def check_content(text: str, schema: Any, server: str) -> None:
    """``SchemaValidationError`` unless ``text`` is JSON that validates against ``schema``."""
    _check(text, schema, f"{server}: the server's output does not validate against the response_format schema")


def check_tool_calls(calls: Sequence[dict[str, Any]], tools: Sequence[dict[str, Any]], server: str) -> None:
    """``SchemaValidationError`` unless every call names a tool and its arguments validate against its parameters."""
    params = {t["function"]["name"]: t["function"].get("parameters") or {} for t in tools if "function" in t}
    for call in calls:
        function = call.get("function") or {}
        name, arguments = function.get("name"), function.get("arguments") or "{}"
        if name not in params:
            raise SchemaValidationError(f"{server}: the server called an unknown tool {name!r}", arguments)
        _check(arguments, params[name], f"{server}: tool call {name!r} has arguments that do not validate")


def _check(text: str, schema: Any, what: str) -> None:
    """The in-process validator (draft, formats, ECMA patterns, repeated keys) on a server's output."""
    try:
        validate_text(make_validator(schema), text)
    except SchemaValidationError as exc:
        raise SchemaValidationError(f"{what}: {exc}", text, exc.errors) from None


def ordered_schema(schema: dict[str, Any], prop_order: Sequence[str]) -> dict[str, Any]:
    """``schema`` with the listed keys first in every object's ``properties`` (as ``prop_order`` in process)."""
    rank = {key: i for i, key in enumerate(prop_order)}

    def visit(node: Any) -> Any:
        if isinstance(node, list):
            return [visit(n) for n in node]
        if not isinstance(node, dict):
            return node
        out = {k: visit(v) for k, v in node.items()}
        props = out.get("properties")
        if isinstance(props, dict):
            out["properties"] = dict(sorted(props.items(), key=lambda kv: rank.get(kv[0], len(rank))))
        return out

    return visit(copy.deepcopy(schema))


class OpenAIServerBackend:
    """Chat, completions and embeddings passed to ``/v1/...`` of an OpenAI-compatible fleet."""

    def __init__(self, transport: Transport, model: str | None) -> None:
        self.transport = transport
        self._model = model

    def model_name(self) -> str:
        """The model to ask for: as given, else the first one the server lists (``GET /v1/models``)."""
        if self._model is None:
            _, listed = self.transport.get_from_any("/v1/models")
            data = listed.get("data") if isinstance(listed, dict) else None
            if not data:
                raise ValueError("the server lists no model at /v1/models: pass model=...")
            self._model = str(data[0]["id"])
        return self._model

    def chat(
        self,
        body: dict[str, Any],
        *,
        stream: bool,
        affinity: str | None,
        schema: Any,
        tools: Sequence[dict[str, Any]],
    ) -> dict[str, Any] | Iterator[dict[str, Any]]:
        """One chat request; finished outputs are validated (schema content, tool arguments)."""
        body = dict(body, model=body.get("model") or self.model_name())
        if not stream:
            server, out = self.transport.post_json("/v1/chat/completions", body, affinity)
            for choice in out.get("choices") or []:
                self._check(choice.get("message") or {}, choice.get("finish_reason"), schema, tools, server.url)
            return out
        return self._chat_stream(
            dict(body, stream=True, stream_options={"include_usage": True}), affinity, schema, tools
        )

    def _check(
        self, message: dict[str, Any], finish: str | None, schema: Any, tools: Sequence[dict[str, Any]], server: str
    ) -> None:
        if message.get("tool_calls") and finish != "length":
            check_tool_calls(message["tool_calls"], tools, server)
        elif schema is not None and finish == "stop":
            check_content(message.get("content") or "", schema, server)

    def _chat_stream(
        self, body: dict[str, Any], affinity: str | None, schema: Any, tools: Sequence[dict[str, Any]]
    ) -> Iterator[dict[str, Any]]:
        server_url = "server"

        def answered(server: Any) -> None:
            nonlocal server_url
            server_url = server.url

        events = self.transport.stream_events("/v1/chat/completions", body, affinity, answered)
        content: list[str] = []
        calls: dict[int, dict[str, Any]] = {}
        finished = False
        try:
            for event in events:
                if event == DONE:
                    break
                for choice in event.get("choices") or []:
                    delta = choice.get("delta") or {}
                    content.append(delta.get("content") or "")
                    for call in delta.get("tool_calls") or []:
                        entry = calls.setdefault(call.get("index", 0), {"function": {"name": "", "arguments": ""}})
                        function = call.get("function") or {}
                        entry["function"]["name"] += function.get("name") or ""
                        entry["function"]["arguments"] += function.get("arguments") or ""
                    if choice.get("finish_reason"):
                        finished = True
                        message = {"content": "".join(content), "tool_calls": [calls[i] for i in sorted(calls)]}
                        self._check(message, choice["finish_reason"], schema, tools, server_url)
                yield event
            if not finished:
                raise RemoteStreamError("the stream ended without a finish reason: the output is incomplete",
                                        server=server_url)  # fmt: skip
        finally:
            events.close()  # type: ignore[attr-defined]

    def completion(self, body: dict[str, Any], *, stream: bool, affinity: str | None) -> Any:
        """One text completion (``/v1/completions``)."""
        body = dict(body, model=body.get("model") or self.model_name())
        if not stream:
            return self.transport.post_json("/v1/completions", body, affinity)[1]
        return self._completion_stream(dict(body, stream=True, stream_options={"include_usage": True}), affinity)

    def _completion_stream(self, body: dict[str, Any], affinity: str | None) -> Iterator[dict[str, Any]]:
        events = self.transport.stream_events("/v1/completions", body, affinity)
        finished = False
        try:
            for event in events:
                if event == DONE:
                    break
                finished = finished or any(c.get("finish_reason") for c in event.get("choices") or [])
                yield event
            if not finished:
                raise RemoteStreamError("the stream of /v1/completions ended without a finish reason")
        finally:
            events.close()  # type: ignore[attr-defined]
