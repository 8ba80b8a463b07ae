"""Print the README's porting table: each porting program, and whether llama-native's output equals llama-cpp-python's.

Runs ``tests/compat/porting/*.py`` under both packages (llama-cpp-python from
its venv, ``LLAMA_NATIVE_LCP_PYTHON``, default the one ``scripts/lcp_peer.sh`` builds),
as ``tests/compat/test_lcp_porting.py`` does.

Usage::

    python scripts/lcp_porting_table.py
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "compat"))

from porting_programs import KNOWN, PROGRAMS, run_program  # noqa: E402


def main() -> int:
    """Print the markdown table and the count of equal programs."""
    outcomes = [run_program(p) for p in PROGRAMS]
    print("| program | what it does | output equal to llama-cpp-python's |")
    print("| --- | --- | --- |")
    for o in outcomes:
        why = KNOWN.get(o.name, "not known")
        verdict = "yes" if o.equal else ("llama-native fails" if o.ours.startswith("ERROR") else f"no: {why}")
        print(f"| `{o.name}.py` | {o.title} | {verdict} |")
    print(f"\n{sum(o.equal for o in outcomes)} of {len(outcomes)} programs print the same output under both packages.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
