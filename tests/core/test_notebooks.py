"""The notebooks in notebooks/ run top to bottom (nbclient, a fresh kernel each) on the embedded model.

Their cells assert what they show, so a notebook that stops working fails
here.  With ``LLAMA_NATIVE_TEST_MODEL`` set, they run on that model instead
(the notebooks read ``LLAMA_NATIVE_MODEL_PATH``, the one variable a user sets).
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from helpers import ENV_MODEL, REPO
from images import ENV_MMPROJ

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))


def test_the_notebooks_are_there_without_outputs() -> None:
    assert [p.name[:2] for p in NOTEBOOKS] == ["01", "02", "03", "04", "05", "06", "07", "08", "09"]
    for path in NOTEBOOKS:
        book = nbformat.read(path, as_version=4)
        assert all(not cell.get("outputs") for cell in book.cells if cell.cell_type == "code"), path.name


@pytest.mark.timeout(600)
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if ENV_MODEL is not None:
        monkeypatch.setenv("LLAMA_NATIVE_MODEL_PATH", str(ENV_MODEL))
    else:
        monkeypatch.delenv("LLAMA_NATIVE_MODEL_PATH", raising=False)
    if ENV_MODEL is not None and ENV_MMPROJ is not None:  # (07_images needs the model's projector too)
        monkeypatch.setenv("LLAMA_NATIVE_MMPROJ_PATH", str(ENV_MMPROJ))
    else:
        monkeypatch.delenv("LLAMA_NATIVE_MMPROJ_PATH", raising=False)
    book = nbformat.read(path, as_version=4)
    client = NotebookClient(book, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError at the first cell that fails (an assert included)
    executed = [cell for cell in book.cells if cell.cell_type == "code"]
    assert executed and all(cell.get("execution_count") for cell in executed)
