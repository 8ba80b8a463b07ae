#!/usr/bin/env bash
# Every GPU figure of issue 36 in one go (about 5-7 minutes on one H100/H200 with 16 cores; cap 9):
#   1. builds this repository with CUDA (pip install . with -DGGML_CUDA=ON, build dir build/gpu) and, in the same
#      cmake --build, llama.cpp's llama-bench and llama-batched-bench (same source, same flags, same ggml
#      objects: CMakeLists.txt's EXCLUDE_FROM_ALL targets, asked for through build.targets);
#   2. bench/bench_gpu.py: writes a random ~1B Llama (llama_native.testing), quantizes it to Q4_0 with
#      llama.cpp's llama_model_quantize, and measures batch 1 against llama-bench, 8 sequences against
#      llama-batched-bench, and llguidance/GBNF constrained decoding against unconstrained; prints the
#      table of ratios with their targets, and writes it as JSON.
#
# Usage (from anywhere; it works in the repository root):
#   bench/gpu_bench.sh [--no-build] [bench_gpu.py options...]   on a CUDA machine
#   bench/gpu_bench.sh --cpu [bench_gpu.py options...]          dry run on a CPU: no build (the package already
#                                                               installed in $PYTHON's environment, llama.cpp's
#                                                               tools from the llama-native cache), tiny model
#   bench/gpu_bench.sh --cpu --build [options...]               the same after the build phase without CUDA (pip
#                                                               install . into $PYTHON's environment, the tools
#                                                               from build/gpu): checks the build steps on a CPU
# Environment: PYTHON (default python3), GPU_BENCH_JSON (default bench/.work/gpu_bench.json, bench/.work is
# git-ignored), CUDA_ARCH (default: the GPU's compute capability from nvidia-smi, "90" on H100/H200),
# CMAKE_ARGS (appended to the CUDA flags), LLAMA_CPP_DIR (an unpacked llama.cpp to build from instead of the
# pinned sdist).
#
# What the GPU machine needs (no network assumed; the script checks each and stops naming what is missing):
#   * an NVIDIA driver (nvidia-smi) and the CUDA toolkit (nvcc on PATH or in /usr/local/cuda/bin), CMake >= 3.21,
#     a C/C++ compiler (GCC >= 11); ninja and ccache are used when present;
#   * a Python >= 3.10 environment holding the package's runtime dependencies (numpy, jinja2, pydantic,
#     jsonref, jsonschema, typing-extensions, llguidance) plus gguf (the model writer) and the build
#     requirements scikit-build-core >= 0.11 and nanobind >= 2.4 (then pip builds with --no-build-isolation
#     --no-index and needs no index; without them pip must reach an index or a wheelhouse in PIP_FIND_LINKS);
#   * the pinned llama.cpp source. CMake gets it from llama_native/llama_cpp_source.py: $LLAMA_CPP_DIR if set,
#     else <cache>/llama.cpp-0c1e570 (already unpacked), else the sdist <cache>/llama_cpp_python-0.3.36.tar.gz
#     (76.6 MB, SHA-256 checked, unpacked there), else `pip download llama-cpp-python==0.3.36` (network).
#     <cache> is $LLAMA_NATIVE_CACHE, else $XDG_CACHE_HOME/llama-native, else ~/.cache/llama-native.
#     So copy that sdist (or an unpacked llama.cpp) to the machine with the repository.
#   * about 5 GB of disk in <cache>/test-models for the model (F16 3.0 GB, Q4_0 0.9 GB; kept for a rerun).
# On this workplace's GPU image ('cuda': python3 is Python 3.12 with numpy, jinja2, typing-extensions, attrs,
# pyyaml, tqdm, scikit-build-core, nanobind, cmake, ninja, nvcc 13.0), what is missing is pydantic (+ pydantic-core,
# annotated-types, typing-inspection), jsonref, jsonschema (+ jsonschema-specifications, referencing, rpds-py),
# llguidance, gguf and the llama.cpp source. Prepare them where pip reaches an index:
#   python bench/gpu_bench_prepare.py --wheels   # bench/.work/llama.cpp-src.tar.gz (~9 MB) + bench/.work/wheels (~6 MB)
# carry bench/.work/llama.cpp-src.tar.gz and bench/.work/wheels; in GPU mode this script unpacks the source
# (LLAMA_CPP_DIR=bench/.work/llama.cpp), installs the wheels into bench/.work/site (PYTHONPATH), and uses
# llama.cpp's gguf-py when gguf is missing.
set -euo pipefail
export PYTHONUNBUFFERED=1
cd "$(dirname "$0")/.."
ROOT=$PWD
PY=${PYTHON:-python3}
JSON=${GPU_BENCH_JSON:-$ROOT/bench/.work/gpu_bench.json}
MODE=gpu
BUILD=1
BUILD_ASKED=0
while [[ $# -gt 0 ]]; do
  case $1 in
    --cpu) MODE=cpu; [[ $BUILD_ASKED == 1 ]] || BUILD=0; shift ;;
    --build) BUILD=1; BUILD_ASKED=1; shift ;;
    --no-build) BUILD=0; BUILD_ASKED=1; shift ;;
    *) break ;;
  esac
done
T0=$(date +%s)
say() { echo "[gpu_bench $(($(date +%s) - T0)) s] $*"; }
die() { echo "gpu_bench: $*" >&2; exit 1; }

if [[ $MODE == cpu && $BUILD == 0 ]]; then
  say "CPU dry run with $PY (installed package, tools from the llama-native cache)"
  # run from bench/ so that the source tree's llama_native (no compiled extension) cannot shadow the installed one
  cd "$ROOT/bench"
  "$PY" bench_gpu.py --cpu --json "$JSON" "$@"
  say "done; total $(($(date +%s) - T0)) s"
  exit 0
fi

# ---- what bench/gpu_bench_prepare.py left in bench/.work (carried to a bare GPU machine) -----------------------
WORK=$ROOT/bench/.work
if [[ $MODE == gpu ]]; then
  if [[ -z ${LLAMA_CPP_DIR:-} && -f $WORK/llama.cpp-src.tar.gz ]]; then
    [[ -f $WORK/llama.cpp/CMakeLists.txt ]] || tar -xzf "$WORK/llama.cpp-src.tar.gz" -C "$WORK"
    export LLAMA_CPP_DIR=$WORK/llama.cpp
  fi
  if compgen -G "$WORK/wheels/*.whl" >/dev/null; then
    say "installing $(ls "$WORK"/wheels/*.whl | wc -l) carried wheels into $WORK/site"
    "$PY" -m pip install -q --no-index --no-deps --no-compile --upgrade --target "$WORK/site" "$WORK"/wheels/*.whl \
      || die "installing the wheels of $WORK/wheels failed"
    export PYTHONPATH=$WORK/site${PYTHONPATH:+:$PYTHONPATH}
  fi
  if ! "$PY" -c "import gguf" 2>/dev/null && [[ -d ${LLAMA_CPP_DIR:-/nonexistent}/gguf-py ]]; then
    export PYTHONPATH=$LLAMA_CPP_DIR/gguf-py${PYTHONPATH:+:$PYTHONPATH}  # llama.cpp's own gguf package
  fi
fi

# ---- checks: fail in seconds, not after a 5-minute build --------------------------------------------------
if [[ $MODE == gpu ]]; then
  command -v nvidia-smi >/dev/null || die "nvidia-smi not found: no NVIDIA driver on this machine"
  nvidia-smi --query-gpu=name,compute_cap,driver_version,memory.total --format=csv,noheader || die "nvidia-smi failed"
  command -v nvcc >/dev/null || export PATH=/usr/local/cuda/bin:$PATH
  command -v nvcc >/dev/null || die "nvcc not found (CUDA toolkit): put it on PATH or install it in /usr/local/cuda"
  nvcc --version | tail -n 2
fi
# cmake, ninja installed as Python packages in the environment count too
command -v cmake >/dev/null || export PATH=$PATH:$("$PY" -c 'import os, sys; print(os.path.dirname(sys.executable))')
command -v cmake >/dev/null || die "cmake (>= 3.21) not found"
"$PY" - <<'EOF' || die "the Python environment ($PY) lacks modules listed above"
import importlib.util, sys
need = ["numpy", "jinja2", "pydantic", "jsonref", "jsonschema", "typing_extensions", "llguidance", "gguf"]
missing = [m for m in need if importlib.util.find_spec(m) is None]
if sys.version_info < (3, 10):
    missing.append("python>=3.10")
if missing:
    print("missing: " + ", ".join(missing), file=sys.stderr)
    sys.exit(1)
EOF
SRC_STATE=$("$PY" - <<'EOF'
import os, sys
sys.path.insert(0, "llama_native")
import llama_cpp_source as s  # standard library only; CMake runs this file the same way
if os.environ.get("LLAMA_CPP_DIR"):
    print("dir " + os.environ["LLAMA_CPP_DIR"])
elif (s.cache_dir() / f"llama.cpp-{s.PINNED_LLAMA_CPP_COMMIT}" / ".llama-native-complete").exists():
    print("unpacked " + str(s.cache_dir() / f"llama.cpp-{s.PINNED_LLAMA_CPP_COMMIT}"))
elif (s.cache_dir() / s._SDIST_NAME).exists():
    print("sdist " + str(s.cache_dir() / s._SDIST_NAME))
else:
    print("missing " + str(s.cache_dir() / s._SDIST_NAME))
EOF
)
say "llama.cpp source: $SRC_STATE"
if [[ $SRC_STATE == missing* && $BUILD == 1 ]]; then
  echo "gpu_bench: warning: no pinned llama.cpp source; CMake will try 'pip download' (needs network)." >&2
  echo "  Copy llama_cpp_python-0.3.36.tar.gz to ${SRC_STATE#missing } or set LLAMA_CPP_DIR." >&2
fi

# ---- 1. build -------------------------------------------------------------------------------------------------
if [[ $BUILD == 1 ]]; then
  if [[ $MODE == gpu ]]; then
    ARCH=${CUDA_ARCH:-$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader | head -n 1 | tr -d '. ')}
    export CMAKE_ARGS="-DGGML_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=$ARCH ${CMAKE_ARGS:-}"
  fi
  export CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}
  # the tools are built in the same `cmake --build` as the extension (scikit-build-core's build.targets): a later
  # `cmake --build build/gpu` on its own would re-run CMake outside pip's environment (its isolated cmake and
  # nanobind are gone by then)
  PIP_FLAGS=(--no-deps --config-settings=build-dir=build/gpu
             "--config-settings=build.targets=all;llama-bench;llama-batched-bench")
  if "$PY" -c "import scikit_build_core, nanobind" 2>/dev/null; then
    PIP_FLAGS+=(--no-build-isolation --no-index)
  else
    echo "gpu_bench: scikit-build-core/nanobind not in $PY's environment: pip's build isolation fetches them" >&2
  fi
  say "building the package and llama-bench, llama-batched-bench: CMAKE_ARGS='${CMAKE_ARGS:-}', $CMAKE_BUILD_PARALLEL_LEVEL jobs"
  B0=$(date +%s)
  "$PY" -m pip install "${PIP_FLAGS[@]}" . || die "the build failed (see above)"
  say "package (installed), llama-bench and llama-batched-bench built in $(($(date +%s) - B0)) s"
fi
find_tool() {
  local found
  found=$(find build/gpu -maxdepth 3 -type f -name "$1" -perm -u+x | head -n 1)
  [[ -n $found ]] || die "$1 not found in build/gpu (run without --no-build)"
  echo "$ROOT/$found"
}
LB=$(find_tool llama-bench)
BB=$(find_tool llama-batched-bench)

# ---- 2-4. measure -----------------------------------------------------------------------------------------------
say "measuring (bench/bench_gpu.py)"
cd "$ROOT/bench"
CPU_FLAG=()
[[ $MODE == cpu ]] && CPU_FLAG=(--cpu)
"$PY" bench_gpu.py ${CPU_FLAG[@]+"${CPU_FLAG[@]}"} --llama-bench "$LB" --batched-bench "$BB" --json "$JSON" "$@"
TOTAL=$(($(date +%s) - T0))
say "done; total $TOTAL s (the table is in $JSON)"
if [[ $TOTAL -gt 540 ]]; then
  echo "gpu_bench: warning: $TOTAL s is over the 9-minute budget; lower --reps/--rounds/--n-gen for a rerun" >&2
fi
