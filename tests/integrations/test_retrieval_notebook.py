"""The retrieval notebook's pipeline (embed, index, rerank, answer with citations) with a model chosen by variable.

``tests/core/test_notebooks.py`` runs ``notebooks/09_retrieval.ipynb`` on its
defaults; this runs it with ``LLAMA_NATIVE_EMBED_MODEL_PATH`` naming the CLS
pooling BERT instead, so the variable is read and the pipeline holds with
another embedding model.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from helpers import REPO
from nbclient import NotebookClient

from llama_native.testing import embedding_model_path


@pytest.mark.timeout(300)
def test_retrieval_notebook_with_an_embedding_model_chosen_by_variable(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLAMA_NATIVE_EMBED_MODEL_PATH", str(embedding_model_path("cls")))
    monkeypatch.delenv("LLAMA_NATIVE_RERANK_MODEL_PATH", raising=False)
    monkeypatch.delenv("LLAMA_NATIVE_MODEL_PATH", raising=False)
    book = nbformat.read(REPO / "notebooks" / "09_retrieval.ipynb", as_version=4)
    client = NotebookClient(book, timeout=240, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    printed = "".join(o.get("text", "") for cell in book.cells if cell.cell_type == "code" for o in cell.outputs)
    assert "bert-cls" in printed  # the chosen embedding model was used
    assert "Answer(" in printed or "answer=" in printed
