"""Write the README's "Replacing llama-server" route table from the last parity run's results.

Run ``pytest tests/server/test_llama_server_parity.py`` first (it records
``build/llama-server-parity.json``), then ``python scripts/llama_server_parity_table.py``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from llama_server_parity import RESULTS_PATH, TABLE_END, TABLE_START, render_table  # noqa: E402


def main() -> None:
    """Rewrite the table between the README's markers and print its counts."""
    results = json.loads(RESULTS_PATH.read_text())
    readme_path = ROOT / "README.md"
    readme = readme_path.read_text()
    if TABLE_START not in readme:
        raise SystemExit(f"README.md has no {TABLE_START!r} marker: add it where the table goes")
    before, rest = readme.split(TABLE_START, 1)
    after = rest.split(TABLE_END, 1)[1]
    table = render_table(results)
    readme_path.write_text(before + table + after)
    print(table.splitlines()[2])


if __name__ == "__main__":
    main()
