"""Check the converter on schemas with known-valid and known-invalid instances (a benchmark harness).

Used by ``bench/bench_schemas.py`` and ``tests/test_schema_bench.py``; it
lives here, not in the library, because it is measurement, not API.

Each JSONL line is ``{"id", "schema", "tests": [{"valid": bool, "data": ...}]}``
(the JSONSchemaBench layout).  Every instance is serialized as the grammar
emits it (compact, keys in the grammar's order) and llama.cpp's own grammar
engine is asked whether it accepts it; no model is needed.

Example::

    >>> from schema_evaluation import evaluate_records
    >>> rec = {"id": "x", "schema": {"type": "integer", "maximum": 3},
    ...        "tests": [{"valid": True, "data": 2}, {"valid": False, "data": 7}]}
    >>> s = evaluate_records([rec]); (s.covered, s.over_constraint, s.under_constraint)
    (1, 0, 0)
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from llama_native import _native
from llama_native._llguidance import lark_accepts, lark_error
from llama_native.schema import compile_json_schema
from llama_native.schema.llguidance_compiler import llguidance_json_grammar
from llama_native.schema.validation import serialize_like_grammar


@dataclass
class EvaluationStats:
    """Counts for one file and one route (the JSONSchemaBench paper's measures)."""

    schemas: int = 0
    covered: int = 0  # declared: the schema compiled to a grammar the engine takes
    valid_instances: int = 0
    invalid_instances: int = 0
    over_constraint: int = 0  # valid instances the grammar rejects
    under_constraint: int = 0  # invalid instances the grammar accepts and validation lets through
    schemas_over: int = 0  # declared schemas that reject at least one valid instance
    failures: list[str] = field(default_factory=list)

    @property
    def coverage(self) -> float:
        """Share of schemas declared."""
        return self.covered / self.schemas if self.schemas else 0.0

    @property
    def over_share(self) -> float:
        """Share of declared schemas refusing a valid instance (the paper's over-constraint)."""
        return self.schemas_over / self.covered if self.covered else 0.0


class _Route:
    """How one route compiles a schema and answers whether it accepts a text."""

    def compile(self, schema: Any) -> Any:
        raise NotImplementedError

    def accepts(self, compiled: Any, text: str) -> bool:
        raise NotImplementedError

    def end_check(self, compiled: Any, value: Any) -> bool:
        return True

    def checks_at_end(self, compiled: Any) -> bool:
        return False


class _OurRoute(_Route):
    """Our converter's GBNF on llama.cpp's engine, then the end check (jsonschema)."""

    def compile(self, schema: Any) -> Any:
        compiled = compile_json_schema(schema)
        _native.validate_grammar(compiled.gbnf, "root")
        return compiled

    def accepts(self, compiled: Any, text: str) -> bool:
        return bool(_native.grammar_accepts(compiled.gbnf, "root", text))

    def end_check(self, compiled: Any, value: Any) -> bool:
        # generation checks the value only where the grammar relaxes a keyword
        return bool(compiled.is_valid(value)) if compiled.needs_end_check else True

    def checks_at_end(self, compiled: Any) -> bool:
        return bool(compiled.needs_end_check)


class _LlguidanceRoute(_Route):
    """llguidance alone: its own JSON Schema compiler (``compiler="llguidance"``'s grammar), no end check."""

    def compile(self, schema: Any) -> Any:
        lark = llguidance_json_grammar(schema)
        error = lark_error(lark)
        if error:
            raise ValueError(error)
        return lark

    def accepts(self, compiled: Any, text: str) -> bool:
        return lark_accepts(compiled, text)


ROUTES = {"ours": _OurRoute, "llguidance": _LlguidanceRoute}


def _serialize(data: Any, schema: Any, normalize_numbers: bool = True) -> str:
    """Compact JSON with keys in schema order; as given where the schema cannot be read (for llguidance)."""
    try:
        return serialize_like_grammar(data, schema, normalize_numbers=normalize_numbers)
    except Exception:  # noqa: BLE001 - e.g. an unresolvable $ref: our route refused the schema anyway
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def evaluate_records(records: Iterable[dict], *, label: str = "", route: str = "ours") -> EvaluationStats:
    """Declared coverage, over- and under-constraint of ``records`` on one route (``ours`` or ``llguidance``)."""
    engine = ROUTES[route]()
    stats = EvaluationStats()
    for record in records:
        stats.schemas += 1
        try:
            compiled = engine.compile(record["schema"])
        except Exception as exc:  # noqa: BLE001 - counted and reported
            stats.failures.append(f"{label}{record.get('id')}: not converted: {str(exc)[:200]}")
            continue
        stats.covered += 1
        refused = False
        for test in record.get("tests", []):
            if test["valid"]:
                stats.valid_instances += 1
                text = _serialize(test["data"], record["schema"])
                if not engine.accepts(compiled, text):
                    stats.over_constraint += 1
                    refused = True
                    stats.failures.append(f"{label}{record.get('id')}: OVER rejects valid {text[:160]}")
            else:
                stats.invalid_instances += 1
                # as it is (1.0 stays 1.0): accepted by the grammar and let through by validation?
                text = _serialize(test["data"], record["schema"], normalize_numbers=False)
                if engine.accepts(compiled, text) and engine.end_check(compiled, test["data"]):
                    stats.under_constraint += 1
                    # "unchecked": the grammar alone let it through (no end check would run);
                    # otherwise the validator itself (jsonschema) calls the instance valid
                    how = "UNDER" if engine.checks_at_end(compiled) else "UNDER unchecked"
                    stats.failures.append(f"{label}{record.get('id')}: {how} accepts invalid {text[:160]}")
        stats.schemas_over += refused
    return stats


#: ``$schema`` of each draft folder of the JSON Schema Test Suite.
SUITE_DRAFTS = {
    "draft4": "http://json-schema.org/draft-04/schema#",
    "draft6": "http://json-schema.org/draft-06/schema#",
    "draft7": "http://json-schema.org/draft-07/schema#",
    "draft2019-09": "https://json-schema.org/draft/2019-09/schema",
    "draft2020-12": "https://json-schema.org/draft/2020-12/schema",
}
#: Suite files whose instances are judged by what a generator cannot do, with the reason.
SUITE_EXCLUDED = {
    "refRemote.json": "references to other documents: nothing is fetched, the schema is refused",
    "format.json": "format as an annotation only; llama-native asserts formats (a date must be a date)",
}


def json_schema_test_suite() -> Path:
    """The JSON Schema Test Suite's ``tests`` folder, from the sdist of the installed ``jsonschema``.

    The suite (json-schema-org/JSON-Schema-Test-Suite) ships inside that sdist;
    ``pip download`` fetches it once into ``~/.cache/llama-native``.
    """
    import importlib.metadata
    import subprocess
    import sys
    import tarfile
    import tempfile

    from llama_native.llama_cpp_source import cache_dir

    version = importlib.metadata.version("jsonschema")
    target = cache_dir() / f"json-schema-test-suite-{version}"
    if not (target / "tests").is_dir():
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run(
                [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:",
                 "--dest", tmp, f"jsonschema=={version}"],
                check=True,
            )
            (archive,) = Path(tmp).glob("jsonschema-*.tar.gz")
            with tarfile.open(archive) as tar:
                members = [m for m in tar.getmembers() if "/json/tests/" in m.name and m.isfile()]
                tar.extractall(tmp, members=members, filter="data")
            (unpacked,) = Path(tmp).glob("jsonschema-*/json")
            target.parent.mkdir(parents=True, exist_ok=True)
            unpacked.rename(target)
    return target / "tests"


def suite_records(draft: str, tests_dir: Path | None = None) -> dict[str, list[dict]]:
    """File name -> records (the JSONL layout) of one draft of the JSON Schema Test Suite.

    The main folder and ``optional/format`` are used, less :data:`SUITE_EXCLUDED`;
    each schema gets its draft's ``$schema`` so converter and validator read it alike.
    """
    folder = (tests_dir or json_schema_test_suite()) / draft
    files = sorted(folder.glob("*.json")) + sorted((folder / "optional" / "format").glob("*.json"))
    out: dict[str, list[dict]] = {}
    for path in files:
        if path.name in SUITE_EXCLUDED and path.parent == folder:
            continue
        records = []
        for i, group in enumerate(json.loads(path.read_text(encoding="utf-8"))):
            schema = group["schema"]
            if isinstance(schema, dict) and "$schema" not in schema:
                schema = {"$schema": SUITE_DRAFTS[draft], **schema}
            records.append({"id": f"{i} {group['description']}", "schema": schema, "tests": group["tests"]})
        out[str(path.relative_to(folder))] = records
    return out


def load_records(path: Path, limit: int | None = None) -> list[Any]:
    """The first ``limit`` records (all when None) of a JSONL file."""
    with open(path, encoding="utf-8") as handle:
        lines = [line for line in handle if line.strip()]
    return [json.loads(line) for line in (lines[:limit] if limit else lines)]


def evaluate_file(path: Path, limit: int | None = None, route: str = "ours") -> EvaluationStats:
    """Evaluate the first ``limit`` schemas of a JSONL file on one route."""
    return evaluate_records(load_records(path, limit), label=f"{Path(path).stem}/", route=route)
