"""JSON Schema to grammar, our route against llguidance alone, per file (the JSONSchemaBench measures).

For each file, on our route (our converter's GBNF on llama.cpp's engine plus
the end check) and on llguidance alone (its own JSON Schema compiler):

* declared: share of schemas compiled to a grammar the engine takes;
* over: share of declared schemas that refuse at least one valid instance;
* under: invalid instances the grammar (and, on our route, the end check) lets through;
* with ``--sample N``: compliance of sampled outputs, N seeds per declared
  schema on a random-weight model: completed outputs that validate.  Our route
  (``inv-full``: invalid completed outputs of schemas the grammar enforces
  fully, which must be 0; ``dead-end``: samples where every ending the grammar
  allowed failed the end check, so the API raised ``SchemaValidationError``
  instead of returning invalid JSON); llguidance alone runs its compiler's
  grammar on the same engine without end check or final validation.

Each instance is serialized as our grammar emits it (compact, keys in schema
order) before an engine is asked whether it accepts it.  ``--suite`` runs the
official JSON Schema Test Suite (drafts 4 to 2020-12, from the ``jsonschema``
sdist) instead of the JSONL files.

Usage::

    python bench/bench_schemas.py [--schemas ../shared/schemas] [--files Glaiveai2K ...] [--suite]
        [--limit N] [--sample SEEDS] [--max-tokens 256] [--show-failures 5]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any, Dict, List, Tuple

from llama_native import LlamaGrammar, SchemaValidationError
from llama_native.schema import compile_json_schema
from llama_native.schema.llguidance_compiler import llguidance_json_grammar
from schema_evaluation import SUITE_DRAFTS, EvaluationStats, evaluate_records, load_records, suite_records

DEFAULT_SCHEMAS = Path(__file__).resolve().parents[1].parent / "shared" / "schemas"


def route_grammar(schema: Any, route: str) -> Tuple[LlamaGrammar, Any]:
    """(grammar, compiled schema) on one route; llguidance alone gets no end check and no final validation."""
    if route == "ours":
        # our converter's defaults (JSON Schema's extra keys, schema order), not llama-cpp-python's language
        grammar = LlamaGrammar.from_json_schema(schema, whitespace="free", key_order="schema", additional_properties=None)
        return grammar, grammar.json_schema
    return LlamaGrammar.from_lark(llguidance_json_grammar(schema)), compile_json_schema(schema, compiler="llguidance")


def sample_compliance(records: List[dict], name: str, llm: Any, seeds: int, max_tokens: int,
                      failures: List[str], route: str = "ours") -> Dict[str, float]:
    """Sample `seeds` outputs per schema on the random-weight model; count completed and valid ones."""
    stats: Dict[str, float] = defaultdict(float)
    for record in records:
        try:
            grammar, compiled = route_grammar(record["schema"], route)
        except Exception:  # noqa: BLE001 - not declared; counted by the evaluation
            continue
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
                failures.append(f"{name}/{record['id']}: SAMPLE ({route}) invalid {text[:120]}: {str(exc)[:200]}")
    return stats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schemas", type=Path, default=DEFAULT_SCHEMAS)
    parser.add_argument("--files", nargs="*", default=None, help="file stems (default: all)")
    parser.add_argument("--suite", action="store_true", help="the JSON Schema Test Suite instead of the files")
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
    if args.suite:
        inputs = {draft: [r for records in suite_records(draft).values() for r in records] for draft in SUITE_DRAFTS}
    else:
        files = sorted(args.schemas.glob("*.jsonl"))
        if args.files:
            files = [f for f in files if f.stem in args.files]
        inputs = {f.stem: load_records(f, args.limit) for f in files}
    header = (f"| {'file':24} | schemas | ours declared | ours over | ours under | llguidance declared "
              f"| llguidance over | llguidance under |")
    if llm:
        header += (" ours compliance | completed | dead-end | inv-full |"
                   " llguidance compliance | completed |")
    print(header)
    print("|" + " --- |" * (header.count("|") - 1))
    all_failures: List[str] = []
    totals: Dict[str, EvaluationStats] = {"ours": EvaluationStats(), "llguidance": EvaluationStats()}
    start = time.time()
    for name, records in inputs.items():
        row = f"| {name:24} | {len(records):7d} |"
        failures: List[str] = []
        for route in ("ours", "llguidance"):
            e = evaluate_records(records, label=f"{name}/", route=route)
            total = totals[route]
            for key in ("schemas", "covered", "valid_instances", "invalid_instances", "over_constraint",
                        "under_constraint", "schemas_over"):
                setattr(total, key, getattr(total, key) + getattr(e, key))
            row += f" {e.coverage:.3f} | {e.over_share:.3f} | {e.under_constraint} |"
            if route == "ours":
                failures += e.failures
        if llm:
            c = sample_compliance(records, name, llm, args.sample, args.max_tokens, failures)
            done = c["completed"]
            row += (f" {c['valid'] / done if done else float('nan'):.3f} | {int(done)} | {int(c['dead_end'])} |"
                    f" {int(c['invalid_fully_enforced'])} |")
            c = sample_compliance(records, name, llm, args.sample, args.max_tokens, failures, route="llguidance")
            done = c["completed"]
            row += f" {c['valid'] / done if done else float('nan'):.3f} | {int(done)} |"
        print(row, flush=True)
        all_failures += failures[: args.show_failures]
    o, g = totals["ours"], totals["llguidance"]
    print(f"| total | {o.schemas} | {o.coverage:.3f} | {o.over_share:.3f} | {o.under_constraint} |"
          f" {g.coverage:.3f} | {g.over_share:.3f} | {g.under_constraint} |")
    print(f"({time.time() - start:.0f} s)")
    for failure in all_failures:
        print("  " + failure)


if __name__ == "__main__":
    sys.exit(main())
