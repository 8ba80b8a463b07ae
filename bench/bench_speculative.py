"""Prompt-lookup speculative decoding against plain decoding, same model, same run.

Greedy decoding on an extraction-style prompt (a document, then a request to
repeat its facts): the output must be identical; the script prints decode
calls, drafted/accepted tokens, tokens per second and the speed-up ratio.

On a random-weight model the output copies the prompt only by chance; greedy
decoding of such models tends to fall into repeating cycles, which prompt
lookup then predicts.  Both effects are measured as they are: the ratio is
what this model gives, not a claim about trained models.

Usage::

    python bench/bench_speculative.py [--model PATH] [--tokens 256] [--rounds 3] [--num-pred 10] [--copy]

``--copy`` constrains the output with a grammar to a copy of the document's
last sentences, the situation prompt lookup is made for (a trained model
extracting or quoting does this by itself).
"""

from __future__ import annotations

import argparse
import statistics
import time

from llama_native import Llama, PromptLookupDecoding
from llama_native.testing import bench_model_path

DOCUMENT = (
    "Meeting notes. The quarterly review with Alice Johnson, Bob Smith and Carol White takes place on "
    "2024-05-14 at 10:30 in the Berlin office, room 4B. Topics: the budget for the next quarter, hiring "
    "two engineers for the platform team, and the roadmap for the mobile application. Alice Johnson "
    "presents the budget; Bob Smith presents hiring; Carol White presents the roadmap."
)
PROMPT = DOCUMENT + "\n\nRepeat the facts of the meeting notes above, word for word:\n"


COPY_GRAMMAR = 'root ::= "' + DOCUMENT.split("Topics: ")[1] + '"'


def run(llm: Llama, tokens: int, copy: bool) -> tuple:
    bias = {t: float("-inf") for t in llm.eog_tokens()}
    llm.reset()
    start = time.perf_counter()
    if copy:  # the grammar makes the output a copy of the document's last sentences
        out = llm(PROMPT, max_tokens=tokens, temperature=0, grammar=COPY_GRAMMAR)
    else:
        out = llm(PROMPT, max_tokens=tokens, temperature=0, logit_bias=bias)
    elapsed = time.perf_counter() - start
    return out["choices"][0]["text"], elapsed, dict(llm.last_generation_stats)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None)
    parser.add_argument("--tokens", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--num-pred", type=int, default=10)
    parser.add_argument("--ngram", type=int, default=2)
    parser.add_argument("--copy", action="store_true", help="constrain the output to a copy of part of the prompt")
    args = parser.parse_args()
    path = args.model or str(bench_model_path())
    plain = Llama(path, n_ctx=2048, n_threads=2)
    spec = Llama(path, n_ctx=2048, n_threads=2,
                 draft_model=PromptLookupDecoding(max_ngram_size=args.ngram, num_pred_tokens=args.num_pred))
    times = {"plain": [], "lookup": []}
    for _ in range(args.rounds):
        text_plain, t_plain, stats_plain = run(plain, args.tokens, args.copy)
        text_spec, t_spec, stats_spec = run(spec, args.tokens, args.copy)
        if text_plain != text_spec:
            raise SystemExit("outputs differ under greedy decoding")
        times["plain"].append(t_plain)
        times["lookup"].append(t_spec)
    p, s = statistics.median(times["plain"]), statistics.median(times["lookup"])
    print(f"model: {path}")
    n = stats_plain["generated_tokens"]
    print(f"greedy{' (copy grammar)' if args.copy else ''}, {n} tokens, {args.rounds} rounds (median); outputs identical: yes")
    print(f"plain : {n / p:7.1f} tok/s, decode calls {stats_plain['decode_calls']}")
    print(f"lookup: {n / s:7.1f} tok/s, decode calls {stats_spec['decode_calls']}, "
          f"drafted {stats_spec['drafted_tokens']}, accepted {stats_spec['accepted_draft_tokens']}")
    print(f"speed-up (plain time / lookup time): {p / s:.2f}x")


if __name__ == "__main__":
    main()
