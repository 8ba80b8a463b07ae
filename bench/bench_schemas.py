"""JSON Schema converter against JSONSchemaBench (../shared/schemas), per file.

For each schema: declared coverage (converted without error), over-constraint
(valid instances the grammar rejects), under-constraint (invalid instances the
grammar accepts and the final jsonschema validation does not catch) and, with
``--sample N``, compliance of sampled outputs: N seeds on a random-weight model,
completed outputs that validate.  Each instance is serialized as the grammar
emits it (compact, keys in the grammar's order) before llama.cpp's own grammar
engine is asked whether it accepts it.

Usage::

    python bench/bench_schemas.py [--schemas ../shared/schemas] [--files Glaiveai2K ...]
        [--limit N] [--sample SEEDS] [--max-tokens 256] [--show-failures 5]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any, Dict, List, Optional

from llama_native import _native
from llama_native.schema import compile_json_schema

DEFAULT_SCHEMAS = Path(__file__).resolve().parents[1].parent / "shared" / "schemas"


def evaluate_file(path: Path, limit: Optional[int], llm: Any, seeds: int, max_tokens: int, failures: List[str]) -> Dict[str, float]:
    stats: Dict[str, float] = defaultdict(float)
    with open(path, encoding="utf-8") as handle:
        lines = handle.readlines()
    for line in lines[:limit] if limit else lines:
        record = json.loads(line)
        stats["schemas"] += 1
        try:
            compiled = compile_json_schema(record["schema"])
            _native.validate_grammar(compiled.gbnf, "root")
        except Exception as exc:  # noqa: BLE001 - counted and reported
            stats["not_covered"] += 1
            failures.append(f"{path.stem}/{record['id']}: not converted: {str(exc)[:200]}")
            continue
        stats["covered"] += 1
        for test in record.get("tests", []):
            try:
                text = compiled.serialize(test["data"])
            except Exception as exc:  # noqa: BLE001
                failures.append(f"{path.stem}/{record['id']}: cannot serialize instance: {exc}")
                continue
            accepted = _native.grammar_accepts(compiled.gbnf, "root", text)
            if test["valid"]:
                stats["valid_instances"] += 1
                if not accepted:
                    stats["over_constraint"] += 1
                    failures.append(f"{path.stem}/{record['id']}: OVER rejects valid {text[:160]}")
            else:
                stats["invalid_instances"] += 1
                # the instance as it is (no normalization of 1.0 to 1): does the
                # grammar accept it while the final validation lets it through?
                raw_accepted = _native.grammar_accepts(compiled.gbnf, "root", compiled.serialize_raw(test["data"]))
                if raw_accepted and compiled.is_valid(test["data"]):
                    stats["under_constraint"] += 1
                    failures.append(f"{path.stem}/{record['id']}: UNDER accepts invalid {text[:160]}")
        if llm is not None:
            for seed in range(seeds):
                out = llm.create_completion("JSON:", grammar=compiled.gbnf, max_tokens=max_tokens, seed=seed, temperature=1.0)
                if out["choices"][0]["finish_reason"] != "stop":
                    stats["samples_unfinished"] += 1
                    continue
                stats["samples_completed"] += 1
                text = out["choices"][0]["text"]
                try:
                    compiled.validate(text)
                    stats["samples_valid"] += 1
                except ValueError as exc:
                    failures.append(f"{path.stem}/{record['id']}: SAMPLE invalid {text[:160]}: {exc}")
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
        header += f" {'compliance':>10} {'completed':>9}"
    print(header)
    all_failures: List[str] = []
    start = time.time()
    for path in files:
        failures: List[str] = []
        s = evaluate_file(path, args.limit, llm, args.sample, args.max_tokens, failures)
        coverage = s["covered"] / s["schemas"] if s["schemas"] else 0
        row = (f"{path.stem:24} {int(s['schemas']):7d} {coverage:8.3f} {int(s['over_constraint']):6d} "
               f"{int(s['under_constraint']):6d} {int(s['valid_instances']):5d}/{int(s['invalid_instances']):<4d}")
        if llm:
            done = s["samples_completed"]
            row += f" {s['samples_valid'] / done if done else float('nan'):10.3f} {int(done):9d}"
        print(row, flush=True)
        all_failures += failures[: args.show_failures]
    print(f"({time.time() - start:.0f} s)")
    for failure in all_failures:
        print("  " + failure)


if __name__ == "__main__":
    sys.exit(main())
