"""The runnable examples in the public API's docstrings run and print what they say."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import langchain_llama_native
import llama_index.embeddings.llama_native
import llama_index.llms.llama_native
import llama_native

MODULES = sorted(
    m.name
    for package in (llama_native, langchain_llama_native, llama_index.llms.llama_native,
                    llama_index.embeddings.llama_native)
    for m in pkgutil.walk_packages(package.__path__, package.__name__ + ".")
    if not m.name.endswith("__main__")
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
