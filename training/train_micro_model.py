"""Train llama-native's embedded micro model from scratch, deterministically, on 2 CPU cores, then export it.

    pip install torch==2.13.0 tokenizers gguf   # CPU PyTorch
    python training/train_micro_model.py --out build/micro   # about 25 minutes on 2 cores
    cp build/micro/llama-native-micro.gguf llama_native/models/

Steps:

1. synthetic conversations (``micro_data``), rendered with the package's own
   chat formatter and the model's template (``chat_template.jinja``);
2. a byte-level BPE vocabulary of 1,024 tokens trained on them (Hugging Face
   ``tokenizers`` with Qwen2's pre-tokenization, which llama.cpp implements as
   the ``qwen2`` pre-tokenizer: single digits, so numbers copy digit by digit);
3. a Llama-architecture model (``micro_model``), trained with the loss on the
   assistant's reply tokens only;
4. export to GGUF (``export_micro_model``), which checks that llama.cpp
   tokenizes like the trainer and computes the same logits as PyTorch.

The same seed, step count and thread count give the same weights.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from pathlib import Path
from typing import List, Tuple

import torch
import torch.nn.functional as F

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import micro_data  # noqa: E402
from micro_model import MicroConfig, MicroLlama  # noqa: E402

SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
# Qwen2's pre-tokenization (llama.cpp's "qwen2" pre-tokenizer): every digit is a token of its own and
# numbers carry no leading space, so "30" in a text and in the JSON reply are the same tokens to copy
PRE_TOKENIZER_REGEX = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
                       r"|\s*[\r\n]+|\s+(?!\S)|\s+")


def formatter():
    from llama_native.chat.templates import Jinja2ChatFormatter

    return Jinja2ChatFormatter((HERE / "chat_template.jinja").read_text(encoding="utf-8"),
                               eos_token="<|im_end|>", bos_token="")


def train_tokenizer(texts: List[str], vocab_size: int):
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(PRE_TOKENIZER_REGEX), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
    ])
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=SPECIAL_TOKENS, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(texts, trainer)
    return tok


def make_batches(pairs: List[Tuple[List[int], List[int]]], budget: int, max_len: int, rng: random.Random):
    """Batches of similar length, each at most ``budget`` tokens (padded); loss only on reply tokens."""
    items = [(p + r, len(p)) for p, r in pairs if len(p) + len(r) <= max_len]
    items.sort(key=lambda it: len(it[0]))
    batches, current = [], []
    for item in items:
        width = len(item[0])
        if current and (len(current) + 1) * width > budget:
            batches.append(current)
            current = []
        current.append(item)
    if current:
        batches.append(current)
    rng.shuffle(batches)
    return batches


def tensors(batch):
    width = max(len(seq) for seq, _ in batch)
    tokens = torch.zeros(len(batch), width, dtype=torch.long)
    targets = torch.full((len(batch), width), -100, dtype=torch.long)
    lengths = torch.tensor([len(seq) for seq, _ in batch])
    for i, (seq, n_prompt) in enumerate(batch):
        tokens[i, : len(seq)] = torch.tensor(seq)
        # position j predicts token j+1; reply tokens start at n_prompt
        targets[i, n_prompt - 1 : len(seq) - 1] = torch.tensor(seq[n_prompt:])
    return tokens, targets, lengths


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="build/micro", help="output folder (default build/micro)")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--examples", type=int, default=90000, help="training conversations")
    ap.add_argument("--steps", type=int, default=1400)
    ap.add_argument("--budget", type=int, default=6144, help="tokens per batch, padding included")
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    torch.use_deterministic_algorithms(True)
    rng = random.Random(args.seed)
    t0 = time.time()

    fmt = formatter()
    examples = micro_data.examples(args.seed, args.examples)
    rendered = [micro_data.render(e, fmt) for e in examples]
    tok = train_tokenizer([p + r for p, r in rendered[:30000]] + micro_data.UNICODE_NAMES * 20, 1024)
    tok.save(str(out / "tokenizer.json"))
    prompts = tok.encode_batch([p for p, _ in rendered])
    replies = tok.encode_batch([r for _, r in rendered])
    pairs = [(p.ids, r.ids) for p, r in zip(prompts, replies)]
    lengths = [len(p) + len(r) for p, r in pairs]
    print(f"[data] {len(pairs)} conversations, {sum(lengths)} tokens, mean {sum(lengths) / len(lengths):.0f}, "
          f"max {max(lengths)}; prepared in {time.time() - t0:.0f} s", flush=True)

    cfg = MicroConfig(n_vocab=tok.get_vocab_size())
    model = MicroLlama(cfg)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"[model] {n_params / 1e6:.2f} M parameters, {cfg}", flush=True)
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.05}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.98), eps=1e-8)
    warmup = 60

    def lr_at(step: int) -> float:
        if step < warmup:
            return args.lr * (step + 1) / warmup
        progress = (step - warmup) / max(1, args.steps - warmup)
        return args.lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * progress)))

    batches: list = []
    step, seen, t_train = 0, 0, time.time()
    smooth = None
    while step < args.steps:
        if not batches:
            batches = make_batches(pairs, args.budget, cfg.n_ctx, rng)
        tokens, targets, lens = tensors(batches.pop())
        for group in opt.param_groups:
            group["lr"] = lr_at(step)
        logits = model(tokens, lens)
        loss = F.cross_entropy(logits.view(-1, cfg.n_vocab), targets.view(-1), ignore_index=-100)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        seen += tokens.numel()
        smooth = loss.item() if smooth is None else 0.95 * smooth + 0.05 * loss.item()
        step += 1
        if step % 50 == 0 or step == args.steps:
            rate = seen / (time.time() - t_train)
            print(f"[train] step {step}/{args.steps} loss {smooth:.4f} lr {lr_at(step - 1):.2e} "
                  f"{rate:.0f} tok/s elapsed {time.time() - t0:.0f} s", flush=True)

    torch.save({"config": cfg.to_dict(), "state": model.state_dict(), "seed": args.seed, "steps": args.steps,
                "examples": args.examples, "final_loss": smooth}, out / "micro.pt")
    (out / "train_log.json").write_text(json.dumps({"seconds": time.time() - t0, "final_loss": smooth,
                                                    "params": n_params, "steps": args.steps}, indent=1))
    print(f"[done] {time.time() - t0:.0f} s; saved {out / 'micro.pt'}", flush=True)

    from export_micro_model import export

    export(out / "micro.pt", out / "tokenizer.json", out / "llama-native-micro.gguf",
           [p for p, _ in rendered[:200]] + [r for _, r in rendered[:200]])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
