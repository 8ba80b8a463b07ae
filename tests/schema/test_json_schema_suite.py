"""The converter on the official JSON Schema Test Suite: no instance the suite calls valid is refused.

Each test group's schema is converted; every instance the suite marks valid,
serialized as the grammar writes it, must be accepted by llama.cpp's grammar
engine (over-constraint 0), and every invalid instance the grammar accepts
must meet the end check (whether ``jsonschema`` then agrees with the suite is
its own matter: it checks e-mail addresses loosely).  Schemas the converter
refuses (``false``, remote references) are counted, not failed: a refusal is
an error the caller sees, never a wrong grammar.  The suite comes from the
``jsonschema`` sdist (``schema_evaluation.json_schema_test_suite``).
"""

from __future__ import annotations

import pytest

from schema_evaluation import SUITE_DRAFTS, evaluate_records, suite_records  # bench/ is on pytest's pythonpath


@pytest.mark.parametrize("draft", sorted(SUITE_DRAFTS))
def test_no_valid_instance_is_refused(draft: str) -> None:
    files = suite_records(draft)
    over: list[str] = []
    unchecked: list[str] = []
    schemas = covered = valid = 0
    for name, records in files.items():
        stats = evaluate_records(records, label=f"{draft}/{name}/")
        schemas += stats.schemas
        covered += stats.covered
        valid += stats.valid_instances
        over += [f for f in stats.failures if ": OVER " in f]
        unchecked += [f for f in stats.failures if ": UNDER unchecked " in f]
    assert valid > 300  # the suite was read
    assert covered / schemas > 0.9, (covered, schemas)
    assert not over, "\n".join(over)
    # an invalid instance the grammar accepts must meet the end check (compliance 1.0)
    assert not unchecked, "\n".join(unchecked)
