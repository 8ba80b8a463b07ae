"""llama.cpp's ``llama-server`` as the token loop: our prompt, our grammar, our parsing.

The chat layer runs here, in the client, exactly as in process: the
server's own chat template (``GET /props``) renders the prompt, our JSON
Schema converter and tool-call syntax make the grammar, and the reply is
parsed here.  The server receives token ids and a GBNF grammar on its native
``/completion`` endpoint (with lazy-grammar triggers for ``tool_choice="auto"``
and the template's generation prompt for grammars that start inside it), so
key order, whitespace and tool syntax match in-process generation token for
token.  What the grammar cannot enforce (the end check of schema keywords
the grammar relaxes) is checked on the finished output, which raises
``SchemaValidationError`` rather than returning invalid output.

Example::

    >>> from llama_native.grammar import LlamaGrammar
    >>> body = grammar_fields(LlamaGrammar('root ::= "yes" | "no"'))
    >>> body["grammar"]
    'root ::= "yes" | "no"'
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ..grammar import LlamaGrammar
from ..schema import SchemaValidationError
from ..timings import from_server
from .errors import RemoteError, RemoteStreamError
from .pool import Server
from .transport import Transport

#: llama.cpp's ``common_grammar_trigger_type``: token, word, pattern, full pattern
_TRIGGER_TOKEN, _TRIGGER_PATTERN = 0, 2
_FINISH = {"eos": "stop", "word": "stop", "limit": "length"}


@dataclass
class ServerModel:
    """What a llama-server says of its model (``/props``, ``/v1/models``, ``/tokenize``)."""

    model_path: str
    chat_template: str | None
    bos_token: str
    eos_token: str
    n_ctx: int
    n_vocab: int
    add_bos: bool


@dataclass
class RemoteChunk:
    """A piece of a remote generation, shaped as the native token loop's chunks."""

    text: str
    tokens: list[int]
    finish_reason: str | None = None
    logprobs: list[Any] = field(default_factory=list)
    pieces: list[str] = field(default_factory=list)  # per-token pieces: none (``text`` is the step's)


def grammar_fields(grammar: LlamaGrammar | None) -> dict[str, Any]:
    """``/completion`` fields for ``grammar``: GBNF, lazy triggers, and the prefill a chat grammar reads first."""
    if grammar is None:
        return {}
    if grammar.llguidance_lark is not None:
        if grammar.json_schema is None:
            raise ValueError("a Lark grammar runs on llguidance only; a llama.cpp server takes GBNF")
        # a schema only llguidance's compiler reads: the server converts it; the output is checked here by
        # llguidance against that grammar (see chunks)
        return {"json_schema": grammar.json_schema.schema}
    if grammar.root != "root":
        raise ValueError(f"a llama.cpp server starts grammars at 'root'; this one starts at {grammar.root!r}")
    fields: dict[str, Any] = {"grammar": grammar.grammar}
    if grammar.lazy:
        fields["grammar_lazy"] = True
        fields["grammar_triggers"] = [{"type": _TRIGGER_PATTERN, "value": p} for p in grammar.trigger_patterns] + [
            {"type": _TRIGGER_TOKEN, "value": str(t), "token": t} for t in grammar.trigger_tokens
        ]
    elif grammar.prefill:
        # the grammar reads the template's opening of the reply first, as in process (llama-server's
        # chat grammars: type tool_calls with the generation prompt)
        fields["grammar_type"] = "tool_calls"
        fields["generation_prompt"] = grammar.prefill
    return fields


class LlamaServerBackend:
    """The model behind a fleet of llama-servers: its facts, tokenizer and completions."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport
        self._models: dict[str, ServerModel] = {}

    # -------------------------------------------------------------- model
    def model(self, server: Server | None = None) -> ServerModel:
        """The model's facts, read from ``server`` (default: any) on first use; every server must serve the same."""
        if server is None:
            if self._models:
                return next(iter(self._models.values()))
            server, props = self.transport.get_from_any("/props")
            return self._check_model(server, self._read_model(server, props))
        if server.url not in self._models:
            return self._check_model(server, self._read_model(server))
        return self._models[server.url]

    def _check_model(self, server: Server, found: ServerModel) -> ServerModel:
        if server.url not in self._models:
            reference = next(iter(self._models.values()), None)
            if reference is not None and (found.model_path, found.n_vocab, found.chat_template) != (
                reference.model_path,
                reference.n_vocab,
                reference.chat_template,
            ):
                raise RemoteError(
                    f"serves {found.model_path!r} but the fleet's first server serves {reference.model_path!r}: "
                    "every server behind one base_url must serve the same model",
                    server=server.url,
                )
            self._models[server.url] = found
        return self._models[server.url]

    def _read_model(self, server: Server, props: Any = None) -> ServerModel:
        if props is None:
            props = self.transport.get_json(server, "/props")
        if not isinstance(props, dict) or "default_generation_settings" not in props:
            raise RemoteError("GET /props did not answer as llama.cpp's llama-server does", server=server.url)
        models = self.transport.get_json(server, "/v1/models")
        meta = ((models.get("data") or [{}])[0].get("meta") or {}) if isinstance(models, dict) else {}
        empty = self._tokenize_on(server, "", add_special=True, parse_special=False)
        return ServerModel(
            model_path=str(props.get("model_path") or props.get("model_alias") or ""),
            chat_template=props.get("chat_template") or None,
            bos_token=str(props.get("bos_token") or ""),
            eos_token=str(props.get("eos_token") or ""),
            n_ctx=int(props["default_generation_settings"].get("n_ctx") or 0),
            n_vocab=int(meta.get("n_vocab") or 0),
            add_bos=bool(empty),
        )

    def _tokenize_on(self, server: Server, text: str, add_special: bool, parse_special: bool) -> list[int]:
        body = {"content": text, "add_special": add_special, "parse_special": parse_special}
        return [int(t) for t in self.transport.post_on(server, "/tokenize", body)["tokens"]]

    def tokenize(
        self, text: bytes, add_bos: bool = True, special: bool = False, affinity: str | None = None
    ) -> list[int]:
        """The server's tokenization of ``text``, on the server ``affinity`` routes to (where its generation goes)."""
        content = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
        _, out = self.transport.post_json(
            "/tokenize",
            {"content": content, "add_special": add_bos, "parse_special": special},
            affinity,
            count=False,
        )
        return [int(t) for t in out["tokens"]]

    def detokenize(self, tokens: list[int]) -> bytes:
        """The text of ``tokens``."""
        _, out = self.transport.post_json("/detokenize", {"tokens": list(tokens)}, count=False)
        return str(out.get("content", "")).encode("utf-8")

    @property
    def add_bos(self) -> bool:
        """Whether the model's tokenizer starts a text with BOS."""
        return self.model().add_bos

    # --------------------------------------------------------- generation
    def chunks(
        self,
        body: dict[str, Any],
        *,
        stream: bool,
        affinity: str | None,
        grammar: LlamaGrammar | None,
        stats: dict[str, Any],
    ) -> Iterator[RemoteChunk]:
        """The generation as chunks; the last carries the finish reason.

        ``stats["cached_tokens"]`` is filled, and ``stats["timings"]`` from the server's ``timings``.
        """
        texts: list[str] = []
        counted = 0  # tokens of the chunks yielded so far

        def final(text: str, tokens: list[int], event: dict[str, Any]) -> RemoteChunk:
            stop_type = event.get("stop_type")
            if stop_type not in _FINISH:
                raise RemoteStreamError(
                    f"the generation ended without finishing (stop_type={stop_type!r})", server=server_url
                )
            finish = _FINISH[stop_type]
            timings = event.get("timings") or {}
            stats["cached_tokens"] = int(timings.get("cache_n") or 0)
            whole = "".join(texts) + text
            if finish == "stop" and grammar is not None:
                if grammar.end_check is not None and not grammar.end_check(whole):
                    raise SchemaValidationError(
                        f"{server_url}: the server's output fails the schema's end check "
                        "(a keyword the grammar does not enforce)",
                        whole,
                    )
                if grammar.llguidance_lark is not None and not grammar.accepts(whole):
                    # the server converted the schema itself (see grammar_fields) and may relax keywords of it
                    raise SchemaValidationError(
                        f"{server_url}: the server's output does not match the schema "
                        "(llguidance's grammar of it refuses the output)",
                        whole,
                    )
            # llama-server counts the end-of-generation token it sampled; the in-process loop does not
            predicted = int(event.get("tokens_predicted") or counted + len(tokens))
            n_final = max(0, predicted - (stop_type == "eos") - counted)
            if isinstance(timings, dict) and "predicted_n" in timings:
                # predicted_n as completion_tokens counts: without the end-of-generation token
                found = from_server(dict(timings, predicted_n=max(0, predicted - (stop_type == "eos"))))
                if found is not None:
                    stats["timings"] = found
            return RemoteChunk(text, (tokens + [-1] * n_final)[:n_final], finish)

        if not stream:
            server, event = self.transport.post_json("/completion", body, affinity)
            server_url = server.url
            self.model(server)
            yield final(str(event.get("content", "")), [int(t) for t in event.get("tokens") or []], event)
            return
        server_url = "llama-server"

        def answered(server: Server) -> None:
            nonlocal server_url
            server_url = server.url
            self.model(server)  # the first request to a server checks that it serves the fleet's model

        events = self.transport.stream_events("/completion", dict(body, stream=True), affinity, answered)
        try:
            pending: list[int] = []  # tokens of events without text (the end token, a split character): held back
            for event in events:
                if not isinstance(event, dict):
                    continue
                text = str(event.get("content", ""))
                tokens = pending + [int(t) for t in event.get("tokens") or []]
                if event.get("stop"):
                    yield final(text, tokens, event)
                    return
                if not text:
                    pending = tokens
                    continue
                pending = []
                texts.append(text)
                counted += len(tokens)
                yield RemoteChunk(text, tokens)
            raise RemoteStreamError("the stream ended before its final event: the output is incomplete")
        finally:
            events.close()  # type: ignore[attr-defined]
