"""The porting programs (``tests/compat/porting/*.py``) run under llama-cpp-python and llama-native.

Each program is written for llama-cpp-python 0.3.36 in the style of its README
and docs, and prints its results as JSON.  It runs unchanged under
llama-cpp-python (its own venv) and, with only its imports changed, under
llama-native (``lcp_venv.port``).  Both get ``json``, ``MODEL`` (SmolLM2,
greedy decoding) and ``PROJECTOR`` (a projector GGUF) defined first.
``scripts/lcp_porting_table.py`` prints the README's table from these runs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from lcp_venv import run_lcp, run_ours

PROGRAMS = sorted((Path(__file__).resolve().parent / "porting").glob("*.py"))

#: the programs whose outputs differ today, and why (strict: one that starts to agree fails, to update this table)
KNOWN: dict[str, str] = {}


@dataclass
class Outcome:
    """One program's outputs under both packages (the error text where one failed)."""

    name: str
    title: str
    lcp: str
    ours: str

    @property
    def equal(self) -> bool:
        """Both ran and printed the same JSON."""
        try:
            return json.loads(self.lcp) == json.loads(self.ours)
        except ValueError:
            return False


def prelude() -> str:
    """The definitions every program gets: json, MODEL, PROJECTOR."""
    from llama_native.testing import smollm2_model_path, synthetic_projector_path

    model = smollm2_model_path()
    return f"import json\nMODEL = {str(model)!r}\nPROJECTOR = {str(synthetic_projector_path())!r}\n"


def run_program(path: Path) -> Outcome:
    """Run one program under both packages."""
    source = prelude() + path.read_text()
    title = path.read_text().splitlines()[0].lstrip("# ").strip()
    results = []
    for runner in (run_lcp, run_ours):
        try:
            results.append(runner(source).strip())
        except AssertionError as exc:  # the program failed: keep its error as the output
            results.append(f"ERROR: {str(exc).strip().splitlines()[-1]}")
    return Outcome(path.stem, title, results[0], results[1])
