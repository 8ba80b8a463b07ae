"""The embedded default model: a few-MB GGUF shipped inside the package, so everything runs without a download.

``resolve_model_path`` is how every integration finds its model: the path
given, else ``$LLAMA_NATIVE_MODEL_PATH``.

``default_model_path()`` is ``$LLAMA_NATIVE_MODEL_PATH`` when that names a
file (a real GGUF of yours), else the embedded micro model: a 3.5M-parameter
Llama-architecture model trained from scratch by ``training/train_micro_model.py``
for extraction as JSON, tool calls and short replies.  ``models/MODEL_CARD.md``
says what it can and cannot do.

Example::

    >>> from llama_native import Llama, default_model_path
    >>> llm = Llama(str(default_model_path(embedded=True)), n_ctx=512, verbose=False)
    >>> out = llm.create_chat_completion(
    ...     [{"role": "user", "content": "Jason is 30 years old."}],
    ...     response_format={"type": "json_schema", "json_schema": {"name": "P", "schema": {
    ...         "type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
    ...         "required": ["name", "age"]}}},
    ...     temperature=0)
    >>> out["choices"][0]["message"]["content"]
    '{"name":"Jason","age":30}'
"""

from __future__ import annotations

import os
from pathlib import Path

#: the environment variable naming the GGUF the integrations use when given no model path
MODEL_PATH_ENV = "LLAMA_NATIVE_MODEL_PATH"


def resolve_model_path(model_path: None | str | os.PathLike[str]) -> str | None:
    """``model_path`` (or ``$LLAMA_NATIVE_MODEL_PATH`` when None) as a string, checked to be a file.

    For the integrations' constructors: they load nothing, but a wrong path
    fails at once with a clear ``ValueError``.  None when neither is given.
    """
    if model_path is None:
        model_path = os.environ.get(MODEL_PATH_ENV) or None
    if model_path is None:
        return None
    path = os.fspath(model_path)
    if not os.path.isfile(path):
        raise ValueError(f"model_path {path!r} is not a file")
    return path


#: the micro model inside the installed package
MICRO_MODEL_PATH = Path(__file__).resolve().parent / "models" / "llama-native-micro.gguf"


def default_model_path(embedded: bool = False) -> Path:
    """``$LLAMA_NATIVE_MODEL_PATH`` if set (and ``embedded`` is False), else the embedded micro model."""
    value = None if embedded else os.environ.get(MODEL_PATH_ENV)
    if value:
        path = Path(value).expanduser()
        if not path.is_file():
            raise FileNotFoundError(f"${MODEL_PATH_ENV}={value} is not a file")
        return path
    if not MICRO_MODEL_PATH.is_file():
        raise FileNotFoundError(f"the embedded model is missing from the installation ({MICRO_MODEL_PATH})")
    return MICRO_MODEL_PATH
