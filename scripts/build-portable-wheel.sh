#!/usr/bin/env bash
# Builds a llama-native wheel that runs on other x86-64 machines than the one that built it.
#
# The default build compiles ggml for the build machine (-march=native): installed on a CPU
# without, say, AVX-512, it would stop with SIGILL (llama-native refuses to import there instead,
# naming what is missing). This script compiles ggml for a fixed baseline instead:
#
#   LLAMA_NATIVE_PORTABLE_LEVEL=x86-64-v3 (default)  AVX, AVX2, FMA, F16C, BMI2: Intel Haswell (2013) and
#                                                     later, AMD Zen and later; ggml's Q4_0/IQ4_NL/Q4_K
#                                                     repacking (AVX2) stays
#   LLAMA_NATIVE_PORTABLE_LEVEL=x86-64-v2            SSE4.2 only: any x86-64 CPU since about 2009 (slow)
#
# Neither level includes AVX-512 or AMX (ggml's AMX kernels crash on quantized models:
# llama.cpp issue 20824). ggml's own runtime dispatch (GGML_BACKEND_DL with GGML_CPU_ALL_VARIANTS)
# needs ggml as shared libraries beside the extension, which this package links statically.
#
# Usage: bash scripts/build-portable-wheel.sh [OUT_DIR]   (default dist/); the wheel's build
# tree is build/portable-<level>, apart from the default build's.
set -euo pipefail
cd "$(dirname "$0")/.."
out_dir=${1:-dist}
level=${LLAMA_NATIVE_PORTABLE_LEVEL:-x86-64-v3}
case "$level" in
    x86-64-v3) isa=(-DGGML_SSE42=ON -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON) ;;
    x86-64-v2) isa=(-DGGML_SSE42=ON -DGGML_AVX=OFF -DGGML_AVX2=OFF -DGGML_FMA=OFF -DGGML_F16C=OFF -DGGML_BMI2=OFF) ;;
    *) echo "LLAMA_NATIVE_PORTABLE_LEVEL must be x86-64-v3 or x86-64-v2, not '$level'" >&2; exit 2 ;;
esac
off=(-DGGML_NATIVE=OFF -DGGML_AVX512=OFF -DGGML_AVX512_VBMI=OFF -DGGML_AVX512_VNNI=OFF -DGGML_AVX512_BF16=OFF
     -DGGML_AVX_VNNI=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF -DLLAMA_NATIVE_AMX=OFF)
python=${PYTHON:-python3}
"$python" -m pip wheel . --no-deps -w "$out_dir" \
    -C "build-dir=build/portable-$level" \
    -C "cmake.args=$(IFS=';'; echo "${off[*]};${isa[*]}")"
echo "portable ($level) wheel in $out_dir/"
