"""Command line: ``llama-native demo`` and ``llama-native serve`` (also ``python -m llama_native ...``).

``demo [--model PATH] [--text TEXT]`` runs the demo below; ``serve --model
PATH`` runs the OpenAI-compatible server (:mod:`llama_native.server`);
``info [--model PATH] [--json]`` prints :func:`llama_native.system_info`: the CPU
features ggml was built for and the host has, the devices, and with ``--model``
the buffer types the model's weights use and whether AMX is in use.

The demo is the package's main job: a LangChain chain whose chat model is
bound to a pydantic schema with ``with_structured_output``.  It extracts a
nested object (a person with an address) from a short text, streams the
model's tokens to the terminal as they come, then prints the parsed object.
Without ``--model`` it runs the micro model embedded in the package (or
``$LLAMA_NATIVE_MODEL_PATH``); the output is valid for the schema whatever
the model, because generation is grammar-constrained.

Example::

    python -m llama_native demo
    python -m llama_native demo --model ~/models/qwen2.5-1.5b-instruct-q4_k_m.gguf \\
        --text "Maria Lopez, 34, moved to Madrid in Spain."
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Any

DEFAULT_TEXT = "Ana Costa is 41 years old. Ana lives in Porto, Portugal."


def _schema() -> type:
    from pydantic import BaseModel, Field

    class Address(BaseModel):
        city: str
        country: str

    class Person(BaseModel):
        """A person named in the text."""

        name: str = Field(description="the person's name")
        age: int = Field(description="age in years")
        address: Address

    return Person


def demo(model: str | None, text: str, seed: int, n_ctx: int, schema_prompt: bool) -> int:
    """Run the demo chain on ``model`` (default: the embedded micro model); returns the exit status."""
    try:
        from langchain_core.callbacks import BaseCallbackHandler
        from langchain_core.prompts import ChatPromptTemplate

        from langchain_llama_native import ChatLlamaCpp
    except ImportError as exc:
        raise SystemExit(f"the demo needs LangChain: pip install 'llama-native[langchain]' ({exc})")
    from . import default_model_path

    class PrintTokens(BaseCallbackHandler):
        def on_llm_new_token(self, token: Any, **kwargs: Any) -> None:
            print(token, end="", flush=True)

    path = model or str(default_model_path())
    if not os.path.isfile(path):
        raise SystemExit(f"llama-native demo: no such model file: {path}")
    print(f"model : {path}")
    print(f"text  : {text}\n")
    chat = ChatLlamaCpp(model=path, n_ctx=n_ctx, temperature=0, seed=seed, max_tokens=256)
    prompt = ChatPromptTemplate.from_messages([("human", "{text}")])
    chain = prompt | chat.with_structured_output(_schema(), schema_prompt=schema_prompt)

    print("tokens: ", end="", flush=True)
    started = time.perf_counter()
    person = None
    for partial in chain.stream({"text": text}, config={"callbacks": [PrintTokens()]}):
        person = partial
    elapsed = time.perf_counter() - started
    print(f"\n\nparsed: {person!r}")
    print(f"        ({elapsed:.2f} s; the output always validates against the schema)")
    return 0


def info(model: str | None, as_json: bool) -> int:
    """Print :func:`llama_native.system_info` (for ``model`` if given); returns the exit status."""
    import json

    from . import Llama, ModelLoadError, system_info

    llm = None
    if model is not None:
        try:
            llm = Llama(model, n_ctx=64)
        except (ModelLoadError, ValueError) as exc:
            print(f"llama-native info: {exc}", file=sys.stderr)
            return 1
    report = system_info(llm)
    print(json.dumps(report.as_dict(), indent=2) if as_json else report)
    return 0


def main(argv: list[str] | None = None) -> int:
    """The ``llama-native`` command line; returns the exit status."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["serve"]:  # its flags are the server's own (llama_native.server.settings)
        from .server import main as serve

        return serve(argv[1:])
    parser = argparse.ArgumentParser(
        prog="llama-native",
        description="llama-native: local GGUF models with schema-guided generation for LangChain and LlamaIndex.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p_demo = sub.add_parser(
        "demo",
        help="extract a nested pydantic object from text with a LangChain chain (streams tokens)",
        description="Runs a LangChain chain, ChatLlamaCpp(...).with_structured_output(Person), on a short text: "
        "tokens stream to the terminal, then the parsed pydantic object is printed. Uses the model "
        "embedded in the package unless --model (or $LLAMA_NATIVE_MODEL_PATH) names a GGUF file.",
    )
    p_demo.add_argument("--model", metavar="PATH", help="a GGUF model file (default: the embedded micro model)")
    p_demo.add_argument("--text", default=DEFAULT_TEXT, help=f"the text to extract from (default: {DEFAULT_TEXT!r})")
    p_demo.add_argument(
        "--schema-prompt",
        action="store_true",
        help="also show the schema's skeleton, with field descriptions, in the system prompt",
    )
    p_demo.add_argument("--seed", type=int, default=1, help="sampling seed (default 1; decoding is greedy)")
    p_demo.add_argument("--n-ctx", type=int, default=2048, help="context size in tokens (default 2048)")
    sub.add_parser(
        "serve",
        help="an OpenAI-compatible HTTP server (llama-native serve --model PATH; --help for its flags)",
        add_help=False,
    )
    p_info = sub.add_parser(
        "info",
        help="version, llama.cpp commit, backends, CPU features (built for and of this host), devices, and a "
        "model's facts (architecture, parameters, quantization, context, chat template, pooling, buffer types)",
    )
    p_info.add_argument("--model", metavar="PATH", help="a GGUF model file to load and report on")
    p_info.add_argument("--json", action="store_true", help="print the report as JSON")
    p_bench = sub.add_parser(
        "bench",
        help="prompt and decode tokens/s through the package's own path, in llama-bench's table format",
        description="Runs create_completion and reads each reply's timings: ppN (an N-token prompt, no cache), "
        "tgN (N tokens, the end of generation banned) and, with --schema, tgN+schema (constrained decoding).",
    )
    p_bench.add_argument("--model", "-m", metavar="PATH", required=True, help="a GGUF model file")
    p_bench.add_argument("--n-prompt", "-p", type=int, default=512, help="prompt tokens (default 512; 0: skip)")
    p_bench.add_argument("--n-gen", "-n", type=int, default=128, help="generated tokens (default 128; 0: skip)")
    p_bench.add_argument("--repetitions", "-r", type=int, default=5, help="runs per test (default 5)")
    p_bench.add_argument("--threads", "-t", type=int, default=None, help="CPU threads (default: the package's)")
    p_bench.add_argument("--schema", metavar="FILE", help="a JSON Schema file: adds a constrained decode test")
    args = parser.parse_args(argv)
    if args.command == "demo":
        return demo(args.model, args.text, args.seed, args.n_ctx, args.schema_prompt)
    if args.command == "info":
        return info(args.model, args.json)
    if args.command == "bench":
        from .bench import main as bench

        return bench(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
