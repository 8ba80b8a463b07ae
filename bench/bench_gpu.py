"""GPU figures in one run: llama_native against llama-bench and llama-batched-bench on the same device.

Normally started by ``bench/gpu_bench.sh`` (which builds the package with CUDA and
both llama.cpp tools from the same build tree first); run by hand as::

    python bench/bench_gpu.py --llama-bench build/gpu/bin/llama-bench \\
        --batched-bench build/gpu/bin/llama-batched-bench --json gpu_bench.json
    python bench/bench_gpu.py --cpu      # dry run on the CPU: tiny model, tools from the cache

Phases (each timed and printed):

1. model: a random-weight Llama written with ``llama_native.testing`` (``--size 1b``: the
   shape of Llama 3.2 1B, 2048 wide, 16 layers, 32/8 heads, 8192 FFN, llama-bpe 128k
   vocabulary with an untied output matrix, ~1.5B parameters) in F16, quantized to Q4_0
   by llama.cpp's ``llama_model_quantize`` through the package; both files are cached;
2. batch 1 against ``llama-bench -p 512 -n 128 -ngl 99``: ours evaluates the same 512
   prompt tokens (``Llama.eval`` from an empty cache) and generates 128 greedy tokens after
   one (end tokens banned) through ``create_completion``; target ours >= 0.97x;
3. 8 sequences against ``llama-batched-bench -npl 1,8``: the same short prompt length and
   128 generated tokens per sequence; the gain is the total speed (prompt + generation)
   with 8 sequences over 1, for ours 8 concurrent ``create_completion`` calls on one
   ``Llama(n_parallel=8)`` against one call alone on it; target our gain >= theirs;
4. constrained decode: a JSON Schema (``bench_grammar.SCHEMA``, which keeps a random
   model generating) on llguidance and on llama.cpp's GBNF engine against unconstrained
   decoding on the same ``Llama(n_parallel=8)``: at batch 1 generation tokens/s (first
   token to last, as ``bench_grammar.py``), with 8 concurrent requests the total
   tokens/s from submitting to the last answer; target >= 0.9x.

Rounds of phases 3 and 4 are interleaved and medians reported.  The table of ratios
with their targets is printed and written as JSON (``--json``).  ``--cpu`` runs every
phase on the CPU (no layer offloaded, ``--threads`` for both sides, a tiny model, tools
built into the llama-native cache by ``llama_native.llama_cpp_tools``): it checks the
script, its figures say nothing about a GPU.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_grammar import PROMPT, SCHEMA  # noqa: E402

from llama_native import Llama, LlamaGrammar, _native  # noqa: E402
from llama_native.constants import LLAMA_SPLIT_MODE_LAYER, LLAMA_SPLIT_MODE_NONE  # noqa: E402
from llama_native.testing import ModelSpec, cached_model_path  # noqa: E402

SIZES = {
    # Llama 3.2 1B's shape (its output matrix untied here): ~1.5B parameters, 0.9 GB in Q4_0
    "1b": ModelSpec(tokenizer="llama-bpe", n_embd=2048, n_layer=16, n_head=32, n_head_kv=8, n_ff=8192, f16=True),
    # the CPU dry run: the same 128k vocabulary, 256 wide, 2 layers
    "tiny": ModelSpec(tokenizer="llama-bpe", n_embd=256, n_layer=2, n_head=4, n_head_kv=4, n_ff=512, f16=True),
}
LLAMA_FTYPE_MOSTLY_Q4_0 = 2
PHASES: dict[str, float] = {}


def phase(name: str, start: float) -> None:
    """Record and print how long phase ``name`` took since ``start``."""
    PHASES[name] = round(time.perf_counter() - start, 1)
    print(f"[phase] {name}: {PHASES[name]:.1f} s", flush=True)


def q4_0_model(size: str) -> Path:
    """The random model of ``size`` in F16 (cached by ``llama_native.testing``), quantized to Q4_0 once beside it."""
    spec = SIZES[size]
    f16 = cached_model_path(spec)
    q4 = f16.with_name(f16.stem + "-Q4_0.gguf")
    if not q4.exists():
        tmp = q4.with_suffix(".tmp")
        _native.quantize(str(f16), str(tmp), LLAMA_FTYPE_MOSTLY_Q4_0, os.cpu_count() or 1)
        os.replace(tmp, q4)
    return q4


def run_tool(command: list[str]) -> str:
    """Run one of llama.cpp's tools; its stdout (its log and stderr shown if it fails)."""
    print("$ " + " ".join(command), flush=True)
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"{Path(command[0]).name} failed ({result.returncode}):\n{result.stderr[-3000:]}")
    return result.stdout


def llama_bench(binary: str, model: Path, a: argparse.Namespace) -> dict[str, float]:
    """llama-bench's average tokens/s for the prompt (``pp``) and the decode (``tg``) tests."""
    cmd = [binary, "-m", str(model), "-p", str(a.n_prompt), "-n", str(a.n_gen), "-ngl", str(a.ngl),
           "-r", str(a.reps), "-o", "json", *a.thread_args]
    rows = json.loads(run_tool(cmd))
    return {("prompt" if row["n_prompt"] else "decode"): float(row["avg_ts"]) for row in rows}


def ours_batch1(model: Path, a: argparse.Namespace, reps: int, **load: Any) -> tuple[dict[str, float], str]:
    """Our prompt and decode tokens/s at batch 1 (median of ``reps`` after two untimed passes) and the text."""
    llm = Llama(str(model), n_gpu_layers=a.n_gpu_layers, n_ctx=a.n_prompt + a.n_gen + 64, n_batch=512,
                n_ubatch=512, flash_attn=None, **a.thread_kwargs, **load)
    prompt = [10 + (i * 7919) % (llm.n_vocab() - 10) for i in range(a.n_prompt)]
    ban: dict[int | str, float] = {t: float("-inf") for t in llm.eog_tokens()}
    prompt_times, decode_times, text = [], [], ""
    for rep in range(reps + 2):  # two untimed passes first (a GPU's clocks ramp up over the first seconds)
        llm.reset()
        start = time.perf_counter()
        llm.eval(prompt)
        prompt_time = time.perf_counter() - start
        llm.reset()
        start = time.perf_counter()
        out: Any = llm.create_completion([llm.token_bos()], max_tokens=a.n_gen, temperature=0, logit_bias=ban)
        decode_time = time.perf_counter() - start
        if out["usage"]["completion_tokens"] != a.n_gen:
            raise SystemExit(f"ours generated {out['usage']['completion_tokens']} tokens, not {a.n_gen}")
        if rep >= 2:
            prompt_times.append(prompt_time)
            decode_times.append(decode_time)
            text = out["choices"][0]["text"]
    llm.close()
    speeds = {"prompt": a.n_prompt / statistics.median(prompt_times),
              "decode": a.n_gen / statistics.median(decode_times)}
    return speeds, text


def batched_bench(binary: str, model: Path, n_prompt: int, a: argparse.Namespace) -> dict[int, float]:
    """llama-batched-bench's total tokens/s (prompt + generation) with 1 and with ``--seqs`` sequences."""
    n_ctx = (n_prompt + a.n_gen) * a.seqs + 64
    cmd = [binary, "-m", str(model), "-c", str(n_ctx), "-b", "512", "-ub", "512", "-npp", str(n_prompt),
           "-ntg", str(a.n_gen), "-npl", f"1,{a.seqs}", "-ngl", str(a.ngl), "--output-format", "jsonl",
           *a.thread_args]
    rows = [json.loads(line) for line in run_tool(cmd).splitlines() if line.startswith("{")]
    speeds = {int(row["pl"]): float(row["speed"]) for row in rows}
    for row in rows:
        print(f"  llama-batched-bench pl={row['pl']}: total {row['speed']:.1f} t/s, generation "
              f"{row['speed_tg']:.1f} t/s, prompt {row['speed_pp']:.1f} t/s")
    return speeds


def one_request(llm: Llama, prompt: str, a: argparse.Namespace, grammar: LlamaGrammar | None,
                ban: dict[int | str, float]) -> dict[str, float]:
    """One streamed greedy completion of ``--n-gen`` tokens: its wall time and generation time (first to last)."""
    start = time.perf_counter()
    first = None
    n = 0
    stream: Any = llm.create_completion(prompt, max_tokens=a.n_gen, temperature=0, logit_bias=ban, grammar=grammar,
                                        stream=True)
    for chunk in stream:
        if first is None:
            first = time.perf_counter()
        if chunk["choices"][0]["finish_reason"] is not None:
            n = chunk["usage"]["completion_tokens"]
    end = time.perf_counter()
    if n != a.n_gen or first is None:
        raise SystemExit(f"a completion ended after {n} tokens, expected {a.n_gen} (grammar {grammar is not None})")
    return {"wall": end - start, "gen": (a.n_gen - 1) / (end - first)}


def concurrent(llm: Llama, prompts: list[str], a: argparse.Namespace, grammar: LlamaGrammar | None,
               ban: dict[int | str, float]) -> float:
    """Total tokens/s of ``len(prompts)`` concurrent requests, from submitting them to the last answer."""
    errors: list[BaseException] = []

    def work(prompt: str) -> None:
        try:
            one_request(llm, prompt, a, grammar, ban)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(p,)) for p in prompts]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    if errors:
        raise errors[0]
    return len(prompts) * a.n_gen / wall


def ours_scheduler(model: Path, a: argparse.Namespace) -> tuple[dict[str, list[float]], int]:
    """Our batch-1 and ``--seqs``-sequence runs, unconstrained, llguidance and GBNF, interleaved ``--rounds`` times.

    Returns the samples by name and the prompt's length in tokens.
    """
    common = dict(n_gpu_layers=a.n_gpu_layers, n_ctx=512, n_batch=512, n_ubatch=512, flash_attn=None,
                  n_parallel=a.seqs, **a.thread_kwargs)
    llg = Llama(str(model), grammar_engine="llguidance", **common)
    gbnf = Llama(str(model), grammar_engine="gbnf", **common)
    ban: dict[int | str, float] = {t: float("-inf") for t in llg.eog_tokens()}
    grammar = LlamaGrammar.from_json_schema(SCHEMA, whitespace="free", key_order="schema")
    prompts = [f"{PROMPT} (#{i})" for i in range(a.seqs)]
    n_prompt = round(statistics.mean(len(llg.tokenize(p.encode())) for p in prompts))

    def single(llm: Llama, g: LlamaGrammar | None, engine: str) -> Callable[[], dict[str, float]]:
        def run() -> dict[str, float]:
            result = one_request(llm, prompts[0], a, g, ban)
            if g is not None and llm.last_generation_stats.get("grammar_engine") != engine:
                raise SystemExit(f"asked for {engine}, ran on {llm.last_generation_stats.get('grammar_engine')}")
            return result
        return run

    runs: dict[str, Callable[[], Any]] = {
        "b1 unconstrained": single(llg, None, ""),
        "b1 llguidance": single(llg, grammar, "llguidance"),
        "b1 gbnf": single(gbnf, grammar, "gbnf"),
        f"x{a.seqs} unconstrained": lambda: concurrent(llg, prompts, a, None, ban),
        f"x{a.seqs} llguidance": lambda: concurrent(llg, prompts, a, grammar, ban),
        f"x{a.seqs} gbnf": lambda: concurrent(gbnf, prompts, a, grammar, ban),
    }
    for run in runs.values():  # warm-up: vocabulary views, CUDA graphs, clocks
        run()
    samples: dict[str, list[float]] = {}
    for _ in range(a.rounds):
        for name, run in runs.items():
            result = run()
            if isinstance(result, dict):
                samples.setdefault(name + " gen", []).append(result["gen"])
                samples.setdefault(name, []).append(a.n_gen / result["wall"])
            else:
                samples.setdefault(name, []).append(result)
    llg.close()
    gbnf.close()
    return samples, n_prompt


def row(name: str, ours: float, peer: float, unit: str, target: float | None, peer_name: str) -> dict[str, Any]:
    """One line of the table: ours, the reference, their ratio and its target (None: shown for scale only)."""
    ratio = ours / peer
    return {"measure": name, "ours": round(ours, 2), "reference": round(peer, 2), "reference_is": peer_name,
            "unit": unit, "ratio": round(ratio, 3), "target": target,
            "met": None if target is None else ratio >= target}


def device_name(cpu: bool) -> str:
    """The GPU's name (``nvidia-smi``), or the CPU's in a dry run."""
    if not cpu:
        try:
            out = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version", "--format=csv,noheader"],
                                 capture_output=True, text=True, check=True).stdout.strip()
            return out.splitlines()[0] if out else "GPU (nvidia-smi printed nothing)"
        except (OSError, subprocess.CalledProcessError):
            return "GPU (nvidia-smi not available)"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return f"CPU: {line.split(':', 1)[1].strip()} ({os.cpu_count()} threads visible)"
    except OSError:
        pass
    return f"CPU: {platform.processor() or platform.machine()}"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line (see the module docstring)."""
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    p.add_argument("--cpu", action="store_true", help="dry run on the CPU (no offload; tools from the cache)")
    p.add_argument("--llama-bench", help="llama-bench built in the package's build tree (GPU runs)")
    p.add_argument("--batched-bench", help="llama-batched-bench built in the package's build tree (GPU runs)")
    p.add_argument("--model", type=Path, help="a GGUF to measure instead of the random one")
    p.add_argument("--size", choices=sorted(SIZES), help="the random model's size (default 1b; tiny with --cpu)")
    p.add_argument("--reps", type=int, default=5, help="llama-bench repetitions and our batch-1 repetitions")
    p.add_argument("--rounds", type=int, default=3, help="interleaved rounds of the scheduler and grammar runs")
    p.add_argument("--n-prompt", type=int, default=512, help="prompt tokens at batch 1 (llama-bench -p)")
    p.add_argument("--n-gen", type=int, default=128, help="generated tokens per sequence (llama-bench -n)")
    p.add_argument("--seqs", type=int, default=8, help="concurrent sequences")
    p.add_argument("--threads", type=int, help="CPU threads for both sides (default: 2 with --cpu, else theirs)")
    p.add_argument("--split-check", action="store_true",
                   help="also load with split_mode/main_gpu/tensor_split given and check the text is the same")
    p.add_argument("--json", type=Path, default=Path("gpu_bench.json"), help="where to write the table")
    a = p.parse_args(argv)
    a.size = a.size or ("tiny" if a.cpu else "1b")
    a.threads = a.threads or (2 if a.cpu else None)
    a.thread_args = ["-t", str(a.threads)] if a.threads else []
    a.thread_kwargs = {"n_threads": a.threads, "n_threads_batch": a.threads} if a.threads else {}
    a.ngl = 0 if a.cpu else 99
    a.n_gpu_layers = 0 if a.cpu else -1
    if not a.cpu and not (a.llama_bench and a.batched_bench):
        p.error("a GPU run needs --llama-bench and --batched-bench from the package's build tree (or --cpu)")
    return a


def main(argv: list[str] | None = None) -> int:
    """Run every phase, print the table of ratios and write it as JSON; the exit status."""
    a = parse_args(argv)
    if not a.cpu and not _native.supports_gpu_offload():
        print("this build of llama_native has no GPU backend (build it with bench/gpu_bench.sh)", file=sys.stderr)
        return 1
    total = time.perf_counter()
    if a.cpu and not (a.llama_bench and a.batched_bench):
        from llama_native.llama_cpp_tools import build_llama_tool

        start = time.perf_counter()
        a.llama_bench = a.llama_bench or str(build_llama_tool("llama-bench"))
        a.batched_bench = a.batched_bench or str(build_llama_tool("llama-batched-bench"))
        phase("tools (CPU build from the cache)", start)

    start = time.perf_counter()
    model = a.model or q4_0_model(a.size)
    print(f"model: {model} ({model.stat().st_size / 1e9:.2f} GB)", flush=True)
    phase("model (write F16, quantize Q4_0)", start)

    start = time.perf_counter()
    peer = llama_bench(a.llama_bench, model, a)
    phase("llama-bench", start)
    start = time.perf_counter()
    mine, text = ours_batch1(model, a, a.reps)
    phase("ours, batch 1", start)
    split_note = ""
    if a.split_check and not a.cpu:
        start = time.perf_counter()
        _, placed = ours_batch1(model, a, 1, split_mode=LLAMA_SPLIT_MODE_NONE, main_gpu=0, tensor_split=[1.0])
        _, layered = ours_batch1(model, a, 1, split_mode=LLAMA_SPLIT_MODE_LAYER, tensor_split=[1.0])
        split_note = f"split_mode NONE/LAYER with tensor_split=[1.0]: same text {placed == text and layered == text}"
        phase("split-mode check", start)

    start = time.perf_counter()
    samples, n_prompt = ours_scheduler(model, a)
    phase(f"ours, scheduler and grammars ({a.rounds} rounds)", start)
    start = time.perf_counter()
    peer_batched = batched_bench(a.batched_bench, model, n_prompt, a)
    phase("llama-batched-bench", start)

    med = {name: statistics.median(values) for name, values in samples.items()}
    s = a.seqs
    our_gain = med[f"x{s} unconstrained"] / med["b1 unconstrained"]
    peer_gain = peer_batched[s] / peer_batched[1]
    rows = [
        row(f"pp{a.n_prompt} batch 1", mine["prompt"], peer["prompt"], "t/s", 0.97, "llama-bench"),
        row(f"tg{a.n_gen} batch 1", mine["decode"], peer["decode"], "t/s", 0.97, "llama-bench"),
        row(f"{s} sequences: gain over 1 (pp{n_prompt}+tg{a.n_gen} each)", our_gain, peer_gain, "x", 1.0,
            "llama-batched-bench's gain"),
        row(f"1 sequence on n_parallel={s}: total t/s (for scale)", med["b1 unconstrained"], peer_batched[1], "t/s",
            None, "llama-batched-bench"),
        row(f"{s} sequences: total t/s (for scale, no target)", med[f"x{s} unconstrained"], peer_batched[s], "t/s",
            None, "llama-batched-bench"),
    ]
    for engine in ("llguidance", "gbnf"):
        rows.append(row(f"{engine} / unconstrained, batch 1 (generation t/s)", med[f"b1 {engine} gen"],
                        med["b1 unconstrained gen"], "t/s", 0.9, "ours unconstrained"))
    for engine in ("llguidance", "gbnf"):
        rows.append(row(f"{engine} / unconstrained, {s} sequences (total t/s)", med[f"x{s} {engine}"],
                        med[f"x{s} unconstrained"], "t/s", 0.9, "ours unconstrained"))
    PHASES["driver total"] = round(time.perf_counter() - total, 1)

    device = device_name(a.cpu)
    label = "CPU DRY RUN (checks the script; targets apply to a GPU)" if a.cpu else "GPU"
    print(f"\n{label}: {device}\nmodel: {model.name}, {a.n_gpu_layers} GPU layers; medians of {a.reps} reps / "
          f"{a.rounds} rounds")
    print(f"{'measure':62} {'ours':>10} {'reference':>10} {'ratio':>7} {'target':>7}  met")
    for r in rows:
        target, met = ("-", "-") if r["target"] is None else (f">={r['target']}", "yes" if r["met"] else "NO")
        print(f"{r['measure']:62} {r['ours']:10.2f} {r['reference']:10.2f} {r['ratio']:7.3f} {target:>7}  {met}")
    print(f"batched-bench: {peer_batched[1]:.1f} t/s with 1 sequence, {peer_batched[s]:.1f} with {s}; ours "
          f"{med['b1 unconstrained']:.1f} and {med[f'x{s} unconstrained']:.1f} (total t/s)")
    if split_note:
        print(split_note)
    report = {
        "mode": "cpu-dry-run" if a.cpu else "gpu",
        "device": device,
        "date_utc": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()),
        "command": " ".join([sys.executable, *sys.argv]),
        "model": {"path": str(model), "size": None if a.model else a.size, "bytes": model.stat().st_size},
        "settings": {k: getattr(a, k) for k in ("reps", "rounds", "n_prompt", "n_gen", "seqs", "threads", "ngl")},
        "rows": rows,
        "medians": {name: round(v, 2) for name, v in med.items()},
        "llama_bench": peer,
        "batched_bench_total_ts": peer_batched,
        "split_check": split_note,
        "phases_s": PHASES,
    }
    a.json.parent.mkdir(parents=True, exist_ok=True)
    a.json.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {a.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
