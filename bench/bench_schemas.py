"""JSON Schema converter against JSONSchemaBench (../shared/schemas), per file.

For each schema: declared coverage (converted without error), over-constraint
(valid instances the grammar rejects), under-constraint (invalid instances the
grammar accepts and the final jsonschema validation does not catch) and, with
``--sample N``, compliance of sampled outputs: N seeds on a random-weight model,
completed outputs that validate (``inv-full``: invalid completed outputs of
schemas the grammar enforces fully, which must be 0; ``dead-end``: samples
where every ending the grammar allowed failed the end check, so the API
raised ``SchemaValidationError`` instead of returning invalid JSON).  Each instance is serialized as the grammar
emits it (compact, keys in the grammar's order) before llama.cpp's own grammar
engine is asked whether it accepts it.

Usage::

    python bench/bench_schemas.py [--schemas ../shared/schemas] [--files Glaiveai2K ...]
        [--limit N] [--sample SEEDS] [--max-tokens 256] [--show-failures 5]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any, Dict, List, Optional

from llama_native import LlamaGrammar, SchemaValidationError
from schema_evaluation import evaluate_file, load_records

DEFAULT_SCHEMAS = Path(__file__).resolve().parents[1].parent / "shared" / "schemas"


def sample_compliance(path: Path, limit: Optional[int], llm: Any, seeds: int, max_tokens: int, failures: List[str]) -> Dict[str, float]:
    """Sample `seeds` outputs per schema on the random-weight model; count completed and valid ones."""
    stats: Dict[str, float] = defaultdict(float)
    for record in load_records(path, limit):
        try:
            grammar = LlamaGrammar.from_json_schema(record["schema"])
        except Exception:  # noqa: BLE001 - not covered; counted by the evaluation
            continue
        compiled = grammar.json_schema
        for seed in range(seeds):
            try:
                out = llm.create_completion("JSON:", grammar=grammar, max_tokens=max_tokens, seed=seed, temperature=1.0)
            except SchemaValidationError:
                stats["dead_end"] += 1  # no valid ending was left: raised, never returned
                continue
            if out["choices"][0]["finish_reason"] != "stop":
                stats["unfinished"] += 1
                continue
            stats["completed"] += 1
            text = out["choices"][0]["text"]
            try:
                compiled.validate(text)
                stats["valid"] += 1
            except ValueError as exc:
                if not compiled.unenforced:
                    stats["invalid_fully_enforced"] += 1
                failures.append(f"{path.stem}/{record['id']}: SAMPLE invalid {text[:120]}: {str(exc)[:200]}")
    return stats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schemas", type=Path, default=DEFAULT_SCHEMAS)
    parser.add_argument("--files", nargs="*", default=None, help="file stems (default: all)")
    parser.add_argument("--limit", type=int, default=None, help="schemas per file")
    parser.add_argument("--sample", type=int, default=0, help="seeds to sample per schema (0: none)")
    parser.add_argument("--max-tokens", type=int, default=256)
    parser.add_argument("--show-failures", type=int, default=5)
    args = parser.parse_args()

    llm = None
    if args.sample:
        from llama_native import Llama
        from llama_native.testing import synthetic_model_path

        llm = Llama(str(synthetic_model_path()), n_ctx=1024)
    files = sorted(args.schemas.glob("*.jsonl"))
    if args.files:
        files = [f for f in files if f.stem in args.files]
    header = f"{'file':24} {'schemas':>7} {'coverage':>8} {'over':>6} {'under':>6} {'valid/inst':>10}"
    if llm:
        header += f" {'compliance':>10} {'completed':>9} {'dead-end':>8} {'inv-full':>8}"
    print(header)
    all_failures: List[str] = []
    start = time.time()
    for path in files:
        e = evaluate_file(path, args.limit)
        row = (f"{path.stem:24} {e.schemas:7d} {e.coverage:8.3f} {e.over_constraint:6d} "
               f"{e.under_constraint:6d} {e.valid_instances:5d}/{e.invalid_instances:<4d}")
        failures = list(e.failures)
        if llm:
            c = sample_compliance(path, args.limit, llm, args.sample, args.max_tokens, failures)
            done = c["completed"]
            row += (f" {c['valid'] / done if done else float('nan'):10.3f} {int(done):9d} {int(c['dead_end']):8d}"
                    f" {int(c['invalid_fully_enforced']):8d}")
        print(row, flush=True)
        all_failures += failures[: args.show_failures]
    print(f"({time.time() - start:.0f} s)")
    for failure in all_failures:
        print("  " + failure)


if __name__ == "__main__":
    sys.exit(main())
