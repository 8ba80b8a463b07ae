"""Write the README's template-support table from the last test run's results.

Run ``pytest tests/chat/test_template_tool_syntax.py`` first (it records
``build/template-support.json``), then ``python scripts/template_support_table.py``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from template_support import RESULTS_PATH, TABLE_END, TABLE_START, render_table  # noqa: E402


def main() -> None:
    """Rewrite the table between the README's markers and print its counts."""
    results = json.loads(RESULTS_PATH.read_text())
    readme_path = ROOT / "README.md"
    readme = readme_path.read_text()
    table = render_table(results)
    if TABLE_START in readme:
        before, rest = readme.split(TABLE_START, 1)
        after = rest.split(TABLE_END, 1)[1]
        readme = before + table + after
    else:
        raise SystemExit(f"README.md has no {TABLE_START!r} marker: add it where the table goes")
    readme_path.write_text(readme)
    print(table.splitlines()[2])


if __name__ == "__main__":
    main()
