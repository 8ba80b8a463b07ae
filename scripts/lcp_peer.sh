#!/usr/bin/env bash
# Builds the peer, llama-cpp-python from the pinned sdist (the same file llama.cpp's source
# comes from), into its own venv in the llama-native cache, once, and prints that venv's python.
# Tests that run programs side by side on both packages find it through LLAMA_NATIVE_LCP_PYTHON.
# Usage: bash scripts/lcp_peer.sh [PYTHON]   (PYTHON: one with llama_native installed; default .venv's)
set -euo pipefail
cd "$(dirname "$0")/.."
python="${1:-$PWD/.venv/bin/python}"
read -r cache version sdist < <(cd "${TMPDIR:-/tmp}" && "$python" - <<'PY'
from llama_native import llama_cpp_source as s
print(s.cache_dir(), s.PINNED_VERSION, s._download_sdist(s.cache_dir()))
PY
)
venv="$cache/lcp-venv-$version"
if [ -x "$venv/bin/python" ] && [ -f "$venv/.built" ]; then
    echo "$venv/bin/python"
    exit 0
fi
rm -rf "$venv"
python3 -m venv "$venv"
"$venv/bin/python" -m pip install -q --upgrade pip >&2
# ccache makes a rebuild (another cache dir, a CI machine with a warm ccache) take seconds
launcher=""
if command -v ccache >/dev/null 2>&1; then
    launcher="-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache"
fi
# a fixed source and build folder in the cache: a rebuild reuses CMake's objects, and ccache's
# hits survive a new cache folder (the paths stay the same)
src="$cache/lcp-src-$version"
if [ ! -f "$src/pyproject.toml" ]; then
    rm -rf "$src" && mkdir -p "$src"
    tar -xzf "$sdist" -C "$src" --strip-components=1
fi
start=$(date +%s)
CMAKE_ARGS="$launcher -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF" \
    "$venv/bin/python" -m pip install -q "$src" --config-settings=build-dir="$cache/lcp-build-$version" >&2
touch "$venv/.built"
echo "built llama-cpp-python $version in $(( $(date +%s) - start )) s: $venv" >&2
echo "$venv/bin/python"
