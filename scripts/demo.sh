#!/usr/bin/env bash
# Installs llama-native (Debian packages, a venv, the package built from source)
# and runs the demo. Extra arguments go to the demo, e.g. `--model my.gguf`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_setup.sh
.venv/bin/python -m pip install ".[langchain]"
exec .venv/bin/llama-native demo "$@"
