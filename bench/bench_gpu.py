"""GPU build: prompt and decode tokens/s of llama_native against llama-bench on the same device.

Build first with a GPU backend and llama-bench from the same build tree
(one compile of ggml):

    CMAKE_ARGS="-DGGML_CUDA=on -DCMAKE_CUDA_ARCHITECTURES=90" pip install --no-build-isolation .
    cmake --build build/<wheel tag> --target llama-bench

then ``python bench/bench_gpu.py --llama-bench build/<wheel tag>/llama-bench``.
The model is a random-weight Llama of about 0.7B parameters in F16 written
here (``--model`` takes any GGUF).  llama-bench runs ``-p 512 -n 128 -ngl 99``;
ours decodes the same 512 prompt tokens (``Llama.eval`` from an empty cache)
and generates 128 tokens after one (greedy, end tokens banned), both with
every layer offloaded.  It also loads with ``split_mode``, ``main_gpu`` and
``tensor_split`` given, as a multi-GPU user would, and checks the output is
the same.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from llama_native import LLAMA_SPLIT_MODE_LAYER, LLAMA_SPLIT_MODE_NONE, Llama, _native
from llama_native.testing import ModelSpec, write_model


def llama_bench(binary: str, model: str, reps: int) -> dict[str, float]:
    """llama-bench's average tokens/s for pp512 and tg128."""
    cmd = [binary, "-m", model, "-p", "512", "-n", "128", "-ngl", "99", "-r", str(reps), "-o", "json"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rows = json.loads(out)
    result = {}
    for row in rows:
        key = "prompt" if row["n_prompt"] else "decode"
        result[key] = float(row["avg_ts"])
    return result


def ours(model: str, reps: int, **load: object) -> tuple[dict[str, float], str]:
    llm = Llama(model, n_gpu_layers=-1, n_ctx=1024, n_batch=512, n_ubatch=512, flash_attn=None, **load)  # type: ignore[arg-type]
    rng = np.random.default_rng(0)
    prompt = [int(t) for t in rng.integers(10, llm.n_vocab(), 512)]
    ban = {t: float("-inf") for t in llm.eog_tokens()}
    for _ in range(2):  # warm-up: a whole untimed pass (the GPU's clocks ramp up over the first seconds)
        llm.reset()
        llm.eval(prompt)
        llm.reset()
        llm.create_completion([llm.token_bos()], max_tokens=128, temperature=0, logit_bias=ban)
    prompt_times, decode_times = [], []
    text = ""
    for _ in range(reps):
        llm.reset()
        start = time.perf_counter()
        llm.eval(prompt)
        prompt_times.append(time.perf_counter() - start)
        llm.reset()
        start = time.perf_counter()
        out = llm.create_completion([llm.token_bos()], max_tokens=128, temperature=0, logit_bias=ban)
        decode_times.append(time.perf_counter() - start)
        assert out["usage"]["completion_tokens"] == 128
        text = out["choices"][0]["text"]
    return {"prompt": 512 / float(np.median(prompt_times)), "decode": 128 / float(np.median(decode_times))}, text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--llama-bench", required=True, help="llama-bench built from the same build tree")
    parser.add_argument("--model", help="a GGUF (default: a random ~0.7B F16 Llama written here)")
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    if not _native.supports_gpu_offload():
        print("this build of llama_native has no GPU backend", file=sys.stderr)
        return 1
    model = args.model
    if model is None:
        model = os.path.join(tempfile.mkdtemp(), "bench-0.7b-f16.gguf")
        spec = ModelSpec(n_embd=2048, n_layer=16, n_head=16, n_head_kv=8, n_ff=5632, f16=True, weight_scale=0.5)
        start = time.perf_counter()
        write_model(model, spec)
        print(f"wrote {model} ({Path(model).stat().st_size / 1e9:.2f} GB) in {time.perf_counter() - start:.0f} s")
    peer = llama_bench(args.llama_bench, model, args.reps)
    mine, text = ours(model, args.reps)
    placed, placed_text = ours(model, 1, split_mode=LLAMA_SPLIT_MODE_NONE, main_gpu=0, tensor_split=[1.0])
    layered, _ = ours(model, 1, split_mode=LLAMA_SPLIT_MODE_LAYER, tensor_split=[1.0])
    print(f"{'':10} {'llama-bench':>12} {'llama_native':>13} {'ratio':>6}")
    for key, label in (("prompt", "pp512 t/s"), ("decode", "tg128 t/s")):
        print(f"{label:10} {peer[key]:12.1f} {mine[key]:13.1f} {mine[key] / peer[key]:6.2f}")
    print(
        f"split_mode=NONE, main_gpu=0, tensor_split=[1.0]: same text {placed_text == text}, "
        f"{placed['decode']:.1f} decode t/s; split_mode=LAYER: {layered['decode']:.1f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
