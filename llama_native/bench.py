"""``llama-native bench``: prompt and decode tokens/s through the package's own path, as llama-bench prints them.

Each test runs ``create_completion`` ``repetitions`` times (after one warm-up)
and reads the reply's ``timings``: ``pp N`` evaluates an N-token prompt that
shares no prefix with the cache; ``tg N`` generates N tokens (the end of
generation banned, as llama-bench never stops early); ``tg N+schema``
generates under a JSON Schema (``--schema FILE``), where the grammar may
end the value sooner, so its tokens/s counts the tokens it made.  The table
is llama-bench's markdown (mean ± standard deviation of the runs).

Example::

    >>> from llama_native.testing import synthetic_model_path
    >>> rows = run_bench(str(synthetic_model_path()), n_prompt=16, n_gen=4, repetitions=1)
    >>> [row.test for row in rows]
    ['pp16', 'tg4']
    >>> markdown_table(rows).splitlines()[1].startswith("| ---")
    True
"""

from __future__ import annotations

import json
import random
import statistics
from dataclasses import dataclass, field
from typing import Any


@dataclass
class BenchRow:
    """One test's result: llama-bench's columns, the samples (tokens/s) and the tokens each run made."""

    model: str
    size_bytes: int
    params: int
    backend: str
    threads: int
    test: str
    samples: list[float] = field(default_factory=list)
    tokens: list[int] = field(default_factory=list)

    @property
    def mean(self) -> float:
        """The mean tokens/s."""
        return statistics.fmean(self.samples) if self.samples else 0.0

    @property
    def stdev(self) -> float:
        """The runs' standard deviation (0 for one run)."""
        return statistics.stdev(self.samples) if len(self.samples) > 1 else 0.0


def _params(n: int) -> str:
    for unit, size in (("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if n >= size:
            return f"{n / size:.2f} {unit}"
    return str(n)


def markdown_table(rows: list[BenchRow]) -> str:
    """The rows as llama-bench's markdown table."""
    head = ["model", "size", "params", "backend", "threads", "test", "t/s"]
    widths = [30, 10, 10, 10, 7, 15, 20]
    right = [False, True, True, False, True, True, True]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.rjust(w) if r else c.ljust(w) for c, w, r in zip(cells, widths, right)) + " |"

    out = [line(head), "| " + " | ".join(("-" * (w - 1) + ":") if r else "-" * w for w, r in zip(widths, right)) + " |"]
    for row in rows:
        out.append(
            line([row.model, f"{row.size_bytes / 2**20:.2f} MiB", _params(row.params), row.backend,
                  str(row.threads), row.test, f"{row.mean:.2f} ± {row.stdev:.2f}"])  # fmt: skip
        )
    return "\n".join(out)


def run_bench(
    model_path: str,
    n_prompt: int = 512,
    n_gen: int = 128,
    repetitions: int = 5,
    schema: dict[str, Any] | None = None,
    n_threads: int | None = None,
    **load: Any,
) -> list[BenchRow]:
    """Measure ``pp n_prompt``, ``tg n_gen`` and, with ``schema``, ``tg n_gen+schema`` (0 skips a test)."""
    from . import Llama
    from .system import backends

    if n_prompt < 0 or n_gen < 0 or repetitions < 1:
        raise ValueError(
            f"n_prompt and n_gen must be >= 0 and repetitions >= 1, got {n_prompt}, {n_gen}, {repetitions}"
        )
    n_ctx = max(n_prompt, 16) + n_gen + 16
    load = {"flash_attn": None, **load}  # llama-bench's -fa auto (Llama's own default is llama-cpp-python's off)
    llm = Llama(model_path, n_ctx=n_ctx, n_batch=max(512, min(n_prompt, 2048)), n_threads=n_threads, **load)
    m = llm._model
    threads = int(getattr(llm.context_params, "n_threads", 0) or 0)

    def row(test: str) -> BenchRow:
        return BenchRow(m.description(), int(m.size_bytes), int(m.n_params), ", ".join(backends()), threads, test)

    rows: list[BenchRow] = []
    rng = random.Random(0)
    vocab = [t for t in range(llm.n_vocab()) if not llm.token_is_eog(t)]
    if n_prompt:
        pp = row(f"pp{n_prompt}")
        for i in range(repetitions + 1):
            tokens = [vocab[(i * 7919 + k) % len(vocab)] for k in range(1)] + rng.choices(vocab, k=n_prompt - 1)
            out: Any = llm.create_completion(tokens, max_tokens=1, temperature=0)
            if i:  # the first run warms up
                pp.samples.append(out["timings"]["prompt_per_second"])
                pp.tokens.append(out["timings"]["prompt_n"])
        rows.append(pp)
    if n_gen:
        ban = {t: float("-inf") for t in llm.eog_tokens()}
        start = [llm.token_bos()] if llm.token_bos() >= 0 else llm.tokenize(b"a", add_bos=False)
        tests: list[tuple[str, dict[str, Any]]] = [(f"tg{n_gen}", {"logit_bias": ban})]
        if schema is not None:
            tests.append((f"tg{n_gen}+schema", {"json_schema": schema}))
        for name, extra in tests:
            tg = row(name)
            for i in range(repetitions + 1):
                llm.reset()
                out = llm.create_completion(start, max_tokens=n_gen, temperature=0, **extra)
                if i:
                    tg.samples.append(out["timings"]["predicted_per_second"])
                    tg.tokens.append(out["timings"]["predicted_n"])
            rows.append(tg)
    llm.close()
    return rows


def main(args: Any) -> int:
    """``llama-native bench`` with its parsed arguments; prints the table, returns the exit status."""
    schema = None
    if args.schema:
        try:
            with open(args.schema, encoding="utf-8") as handle:
                schema = json.load(handle)
        except (OSError, ValueError) as exc:
            print(f"llama-native bench: --schema {args.schema}: {exc}")
            return 1
    rows = run_bench(args.model, args.n_prompt, args.n_gen, args.repetitions, schema, args.threads)
    print(markdown_table(rows))
    for r in rows:
        if r.test.endswith("+schema"):
            print(f"\n{r.test}: {statistics.fmean(r.tokens):.1f} tokens per run under the schema")
    return 0
