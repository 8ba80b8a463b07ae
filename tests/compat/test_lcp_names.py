"""Every public name of llama-cpp-python 0.3.36's modules exists in llama-native's, or is refused with a reason.

``tests/data/lcp_public_names.json`` is generated from the pinned sdist by
``scripts/lcp_public_names.py``; ``tests/data/lcp_refused_names.json`` gives the
reason for each name that is absent, or present but raising NotImplementedError.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import pytest

DATA = Path(__file__).resolve().parent.parent / "data"
NAMES: dict[str, dict[str, str]] = json.loads((DATA / "lcp_public_names.json").read_text())["modules"]
REFUSED: dict[str, dict[str, dict[str, str]]] = json.loads((DATA / "lcp_refused_names.json").read_text())


def ours(module: str) -> str:
    """``llama_cpp`` -> ``llama_native``, ``llama_cpp.x`` -> ``llama_native.x``."""
    return "llama_native" + module[len("llama_cpp"):]


def present(module: str) -> Any:
    absent = REFUSED["absent"].get(module, {})
    if len(absent) == len(NAMES[module]):
        return None  # the whole module is refused
    return importlib.import_module(ours(module))


@pytest.mark.parametrize("module", sorted(NAMES))
def test_every_public_name_exists_or_is_refused(module: str) -> None:
    mod = present(module)
    absent = REFUSED["absent"].get(module, {})
    missing = [n for n in NAMES[module] if n not in absent and (mod is None or not hasattr(mod, n))]
    assert not missing, f"{ours(module)} lacks {len(missing)} of llama-cpp-python's names: {missing}"
    for name, reason in absent.items():
        assert name in NAMES[module] and reason, (module, name)


@pytest.mark.parametrize("module", sorted(REFUSED["not_implemented"]))
def test_refused_functions_raise_not_implemented_naming_why(module: str) -> None:
    mod = importlib.import_module(ours(module))
    for name in REFUSED["not_implemented"][module]:
        with pytest.raises(NotImplementedError, match=name.split("_v1")[0]):
            getattr(mod, name)()


def test_the_list_is_the_sdists() -> None:
    # what the issue counted: 62 chat-format names (60 public here: it counted two private), 506+ low-level names
    assert len(NAMES["llama_cpp.llama_cpp"]) > 500 and len(NAMES["llama_cpp.llama_grammar"]) >= 21
    assert "chatml_function_calling" in NAMES["llama_cpp.llama_chat_format"]
    assert "ChatCompletionRequestUserMessage" in NAMES["llama_cpp"]


def test_names_behave_as_there() -> None:
    import llama_native.llama_cpp as llama_cpp
    from llama_native import ChatCompletionRequestUserMessage, llama_token_bos
    from llama_native.llama_grammar import ARITHMETIC_GBNF, LlamaGrammar
    from llama_native.llama_speculative import LlamaPromptLookupDecoding

    assert llama_cpp.LLAMA_FTYPE_MOSTLY_Q8_0 == 7 and llama_token_bos is llama_cpp.llama_token_bos
    assert ChatCompletionRequestUserMessage(role="user", content="hi") == {"role": "user", "content": "hi"}
    LlamaGrammar.from_string(ARITHMETIC_GBNF)
    import numpy as np

    ids = np.array([5, 6, 7, 8, 5, 6], dtype=np.intc)
    assert LlamaPromptLookupDecoding(num_pred_tokens=2)(ids).tolist() == [7, 8]
