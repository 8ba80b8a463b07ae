"""Export the trained micro model to GGUF and prove llama.cpp computes what PyTorch computes.

    python training/export_micro_model.py build/micro/micro.pt build/micro/tokenizer.json out.gguf

Writes a ``llama``-architecture GGUF (F16 matrices, F32 norms) with the
byte-level BPE vocabulary (``tokenizer.ggml.model = gpt2``, pre-tokenizer
``qwen2``), its merges, ChatML special tokens and the chat template, then
checks, through llama-native's runtime (llama.cpp):

* tokenization: llama.cpp's token ids equal the trainer's on the given texts;
* logits: on a rendered conversation, llama.cpp's logits match PyTorch's with
  the same F16-rounded weights (max absolute difference and arg-max agreement),
  and writes those PyTorch logits next to the model (``.reference.npz``) so the
  test suite repeats the comparison without PyTorch.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import List, Sequence

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from micro_model import MicroConfig, MicroLlama, gguf_tensors  # noqa: E402

NAME = "llama-native-micro"
LOGIT_TOLERANCE = 0.05  # max |llama.cpp - PyTorch| over all positions and tokens (logits span about +-20)
REFERENCE_TEXT = (
    "<|im_start|>user\nJason is 30 years old and lives in Paris.<|im_end|>\n<|im_start|>assistant\n"
    '{"name":"Jason","age":30,"city":"Paris"}<|im_end|>'
)


def load(checkpoint: Path) -> MicroLlama:
    data = torch.load(checkpoint, map_location="cpu")
    model = MicroLlama(MicroConfig(**data["config"]))
    model.load_state_dict(data["state"])
    model.eval()
    return model


def f16_rounded(model: MicroLlama) -> MicroLlama:
    """The model with every matrix rounded to F16 and back, as the GGUF stores it."""
    with torch.no_grad():
        for _, weight in gguf_tensors(model):
            if weight.dim() == 2:
                weight.copy_(weight.half().float())
    return model


def write_gguf(model: MicroLlama, tokenizer_json: Path, path: Path) -> None:
    import gguf

    from llama_native.testing import ModelSpec, add_llama_hyperparameters

    cfg = model.cfg
    spec = json.loads(tokenizer_json.read_text(encoding="utf-8"))
    vocab = spec["model"]["vocab"]
    added = {t["content"]: t["id"] for t in spec["added_tokens"]}
    tokens = [""] * len(vocab)
    for piece, idx in vocab.items():
        tokens[idx] = piece
    types = [gguf.TokenType.CONTROL if piece in added else gguf.TokenType.NORMAL for piece in tokens]
    merges = [m if isinstance(m, str) else " ".join(m) for m in spec["model"]["merges"]]

    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_name(NAME)
    writer.add_description("llama-native's embedded demo model: extraction as JSON, tool calls, short replies "
                           "(trained from scratch on synthetic data; see MODEL_CARD.md)")
    writer.add_license("MIT")
    shape = ModelSpec(n_embd=cfg.n_embd, n_layer=cfg.n_layer, n_head=cfg.n_head, n_head_kv=cfg.n_head, n_ff=cfg.n_ff,
                      n_ctx_train=cfg.n_ctx, f16=True)
    add_llama_hyperparameters(writer, shape, len(tokens), cfg.rope_base, cfg.norm_eps)
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("qwen2")
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    writer.add_token_merges(merges)
    writer.add_bos_token_id(added["<|endoftext|>"])
    writer.add_eos_token_id(added["<|im_end|>"])
    writer.add_eot_token_id(added["<|im_end|>"])
    writer.add_pad_token_id(added["<|endoftext|>"])
    writer.add_add_bos_token(False)
    writer.add_chat_template((HERE / "chat_template.jinja").read_text(encoding="utf-8"))
    for name, weight in gguf_tensors(model):
        array = weight.detach().float().numpy()
        writer.add_tensor(name, array.astype(np.float16) if array.ndim == 2 else array.astype(np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def check_tokenizer(llm, tokenizer_json: Path, texts: Sequence[str]) -> int:
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(tokenizer_json))
    mismatches = 0
    for text in texts:
        ours = llm.tokenize(text.encode("utf-8"), add_bos=False, special=True)
        theirs = tok.encode(text).ids
        if ours != theirs:
            mismatches += 1
            if mismatches <= 3:
                print(f"[tokenizer] mismatch on {text[:60]!r}: llama.cpp {ours[:12]} vs trainer {theirs[:12]}")
    print(f"[tokenizer] {len(texts) - mismatches}/{len(texts)} texts tokenize identically")
    return mismatches


def reference_logits(model: MicroLlama, tokens: List[int]) -> np.ndarray:
    with torch.no_grad():
        return model(torch.tensor([tokens]))[0].float().numpy()


def export(checkpoint: Path, tokenizer_json: Path, out: Path, texts: Sequence[str]) -> None:
    from llama_native import Llama

    model = f16_rounded(load(checkpoint))
    write_gguf(model, tokenizer_json, out)
    print(f"[export] wrote {out} ({out.stat().st_size / 1e6:.1f} MB)")
    llm = Llama(str(out), n_ctx=model.cfg.n_ctx, n_threads=2, verbose=False)
    if check_tokenizer(llm, tokenizer_json, list(texts) + [REFERENCE_TEXT]):
        raise SystemExit("llama.cpp tokenizes differently from the trainer")
    tokens = llm.tokenize(REFERENCE_TEXT.encode("utf-8"), add_bos=False, special=True)
    ours = llm.logits(tokens)
    theirs = reference_logits(model, tokens)
    diff = float(np.abs(ours - theirs).max())
    agree = float((ours.argmax(-1) == theirs.argmax(-1)).mean())
    print(f"[logits] {len(tokens)} positions x {ours.shape[1]} tokens: max |llama.cpp - PyTorch| = {diff:.5f}, "
          f"arg-max agreement {agree:.3f}")
    np.savez_compressed(out.with_suffix(".reference.npz"), tokens=np.array(tokens, dtype=np.int32),
                        logits=theirs.astype(np.float32), tolerance=np.float32(LOGIT_TOLERANCE))
    if diff > LOGIT_TOLERANCE or agree < 1.0:
        raise SystemExit("llama.cpp's logits do not match PyTorch's")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        raise SystemExit(__doc__)
    export(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), [])
