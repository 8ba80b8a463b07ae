"""A real ``llama-native serve`` process on loopback, started once per module that asks for it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from helpers import ENV_MODEL
from served import Served, start_server, stop_server  # noqa: F401  (the server tests import them from here)

from llama_native.testing import synthetic_model_path


def model_file() -> str:
    return str(ENV_MODEL or synthetic_model_path())


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """One model, 4 slots, a queue of 64."""
    tmp = tmp_path_factory.mktemp("server")
    served = start_server(tmp, "--model", model_file(), "--model-alias", "local", "--n-ctx", "1024",
                          "--n-parallel", "4", "--max-queue", "64")  # fmt: skip
    yield served
    stop_server(served)
