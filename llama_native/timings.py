"""The ``timings`` object of every reply: llama-server's fields, plus what structure costs.

Each completion and chat result (streamed: its last chunk) carries
``timings``, measured inside the native token loop at its phase boundaries
(no Python work per token).  The llama-server fields keep their names and
meaning:

``prompt_n``/``prompt_ms``
    Prompt tokens evaluated (not reused from the KV cache) and the time
    that took; ``cache_n`` counts the reused ones, so ``prompt_n + cache_n``
    is the usage's ``prompt_tokens``.
``predicted_n``/``predicted_ms``
    Tokens generated (the usage's ``completion_tokens``) and the time from
    the prompt's end to the last one.
``*_per_token_ms``, ``*_per_second``
    Derived from the above (0.0 where nothing was timed).

llama-native adds ``queue_ms`` (waiting for the context or a slot),
``ttft_ms`` (from the call reaching the token loop to the first token),
``grammar_ms`` (time in the grammar engine: checks, masks, forced tokens;
part of ``predicted_ms``) and ``jump_forward_n`` (tokens the grammar
forced, emitted without sampling; part of ``predicted_n``); with
prompt-lookup drafting also llama-server's ``draft_n`` and ``draft_n_accepted``.

Example::

    >>> t = make_timings(prompt_n=6, prompt_ms=3.0, predicted_n=4, predicted_ms=8.0, cache_n=2)
    >>> t["prompt_per_second"], t["predicted_per_token_ms"]
    (2000.0, 2.0)
    >>> ollama_durations(t)["eval_duration"]
    8000000
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from typing_extensions import NotRequired, TypedDict


class Timings(TypedDict):
    """llama-server's ``timings`` (milliseconds) and llama-native's additions."""

    prompt_n: int
    prompt_ms: float
    prompt_per_token_ms: float
    prompt_per_second: float
    predicted_n: int
    predicted_ms: float
    predicted_per_token_ms: float
    predicted_per_second: float
    cache_n: int
    queue_ms: NotRequired[float]
    ttft_ms: NotRequired[float]
    grammar_ms: NotRequired[float]
    jump_forward_n: NotRequired[int]
    draft_n: NotRequired[int]
    draft_n_accepted: NotRequired[int]


def _rate(n: int, ms: float) -> float:
    return 1e3 * n / ms if ms > 0 and n > 0 else 0.0


def _per_token(n: int, ms: float) -> float:
    return ms / n if n > 0 else 0.0


def make_timings(
    prompt_n: int,
    prompt_ms: float,
    predicted_n: int,
    predicted_ms: float,
    cache_n: int = 0,
    *,
    queue_ms: float | None = None,
    ttft_ms: float | None = None,
    grammar_ms: float | None = None,
    jump_forward_n: int | None = None,
    draft_n: int | None = None,
    draft_n_accepted: int | None = None,
) -> Timings:
    """A ``timings`` dict from the counts and the milliseconds, with the derived rates (None: field left out)."""
    if min(prompt_n, predicted_n, cache_n) < 0 or min(prompt_ms, predicted_ms) < 0:
        raise ValueError(
            f"timings must not be negative: prompt_n={prompt_n}, prompt_ms={prompt_ms}, "
            f"predicted_n={predicted_n}, predicted_ms={predicted_ms}, cache_n={cache_n}"
        )
    t: Timings = {
        "prompt_n": int(prompt_n),
        "prompt_ms": float(prompt_ms),
        "prompt_per_token_ms": _per_token(prompt_n, prompt_ms),
        "prompt_per_second": _rate(prompt_n, prompt_ms),
        "predicted_n": int(predicted_n),
        "predicted_ms": float(predicted_ms),
        "predicted_per_token_ms": _per_token(predicted_n, predicted_ms),
        "predicted_per_second": _rate(predicted_n, predicted_ms),
        "cache_n": int(cache_n),
    }
    if queue_ms is not None:
        t["queue_ms"] = float(queue_ms)
    if ttft_ms is not None:
        t["ttft_ms"] = float(ttft_ms)
    if grammar_ms is not None:
        t["grammar_ms"] = float(grammar_ms)
    if jump_forward_n is not None:
        t["jump_forward_n"] = int(jump_forward_n)
    if draft_n is not None:
        t["draft_n"] = int(draft_n)
    if draft_n_accepted is not None:
        t["draft_n_accepted"] = int(draft_n_accepted)
    return t


def from_server(raw: Mapping[str, Any] | None) -> Timings | None:
    """llama-server's ``timings`` object as a :class:`Timings` (None when the server sent none).

    Example::

        >>> from_server({"prompt_n": 3, "prompt_ms": 1.5, "predicted_n": 2, "predicted_ms": 4.0})["cache_n"]
        0
    """
    if not isinstance(raw, Mapping) or "predicted_n" not in raw:
        return None
    draft_n, accepted = raw.get("draft_n"), raw.get("draft_n_accepted")
    return make_timings(
        max(0, int(raw.get("prompt_n", 0))),
        max(0.0, float(raw.get("prompt_ms", 0.0))),
        max(0, int(raw.get("predicted_n", 0))),
        max(0.0, float(raw.get("predicted_ms", 0.0))),
        max(0, int(raw.get("cache_n", 0))),
        draft_n=int(draft_n) if isinstance(draft_n, (int, float)) else None,
        draft_n_accepted=int(accepted) if isinstance(accepted, (int, float)) else None,
    )


def merge_timings(parts: list[Mapping[str, Any]], same_prompt: bool = False) -> Timings:
    """The timings of several generations run one after another (``n`` choices): counts and times summed.

    With ``same_prompt`` the prompt fields are the first's (the usage counts the prompt once), so that
    ``prompt_n + cache_n`` still equals the merged usage's ``prompt_tokens``.

    Example::

        >>> two = [make_timings(4, 2.0, 3, 6.0), make_timings(4, 2.0, 5, 10.0)]
        >>> merge_timings(two, same_prompt=True)["predicted_n"]
        8
    """
    if not parts:
        raise ValueError("merge_timings needs at least one timings object")
    first = parts[0]
    prompt = [first] if same_prompt else parts

    def total(key: str, among: list[Mapping[str, Any]]) -> float:
        return sum(float(p.get(key, 0.0)) for p in among)

    def optional(key: str) -> float | None:
        return total(key, parts) if any(key in p for p in parts) else None

    jump, drafted, accepted = optional("jump_forward_n"), optional("draft_n"), optional("draft_n_accepted")
    return make_timings(
        int(total("prompt_n", prompt)),
        total("prompt_ms", prompt),
        int(total("predicted_n", parts)),
        total("predicted_ms", parts),
        int(total("cache_n", prompt)),
        queue_ms=optional("queue_ms"),
        ttft_ms=float(first["ttft_ms"]) if "ttft_ms" in first else None,
        grammar_ms=optional("grammar_ms"),
        jump_forward_n=None if jump is None else int(jump),
        draft_n=None if drafted is None else int(drafted),
        draft_n_accepted=None if accepted is None else int(accepted),
    )


def ollama_durations(t: Mapping[str, Any], load_ms: float = 0.0) -> dict[str, int]:
    """ChatOllama's ``response_metadata`` names (durations in nanoseconds) for a ``timings`` dict.

    ``total_duration`` is the queue, prompt and generation time together
    (plus ``load_ms``, the time spent loading the model for this call:
    ``load_duration``); ``prompt_eval_count`` counts the prompt tokens
    evaluated, not those reused from the cache.
    """

    def ns(ms: float) -> int:
        return int(round(ms * 1e6))

    total = float(t.get("queue_ms", 0.0)) + float(t["prompt_ms"]) + float(t["predicted_ms"]) + load_ms
    return {
        "total_duration": ns(total),
        "load_duration": ns(load_ms),
        "prompt_eval_count": int(t["prompt_n"]),
        "prompt_eval_duration": ns(float(t["prompt_ms"])),
        "eval_count": int(t["predicted_n"]),
        "eval_duration": ns(float(t["predicted_ms"])),
    }


def perf_summary(t: Mapping[str, Any]) -> list[str]:
    """One call's timings as the lines of llama.cpp's ``llama_perf_context_print`` (``verbose=True``).

    Example::

        >>> perf_summary(make_timings(4, 2.0, 3, 6.0))[1].split(":")[0]
        'llama_perf_context_print'
    """
    p_n, p_ms, e_n, e_ms = int(t["prompt_n"]), float(t["prompt_ms"]), int(t["predicted_n"]), float(t["predicted_ms"])
    name = "llama_perf_context_print"
    total = float(t.get("queue_ms", 0.0)) + p_ms + e_ms
    lines = [
        f"{name}: prompt eval time = {p_ms:10.2f} ms / {p_n:5d} tokens "
        f"({_per_token(p_n, p_ms):8.2f} ms per token, {_rate(p_n, p_ms):8.2f} tokens per second)",
        f"{name}:        eval time = {e_ms:10.2f} ms / {e_n:5d} runs   "
        f"({_per_token(e_n, e_ms):8.2f} ms per token, {_rate(e_n, e_ms):8.2f} tokens per second)",
        f"{name}:       total time = {total:10.2f} ms / {p_n + e_n:5d} tokens",
    ]
    if "grammar_ms" in t and (t.get("grammar_ms") or t.get("jump_forward_n")):
        lines.append(
            f"{name}:     grammar time = {float(t['grammar_ms']):10.2f} ms / {int(t.get('jump_forward_n', 0)):5d} "
            "tokens forced"
        )
    lines.insert(0, f"{name}:       queue time = {float(t.get('queue_ms', 0.0)):10.2f} ms")
    return lines
