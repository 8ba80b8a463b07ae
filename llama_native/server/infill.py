"""llama-server's ``/infill`` prompt: extra files, prefix, suffix and prompt in FIM tokens.

The token sequence of llama-server's ``format_prompt_infill``
(``tools/server/server-common.cpp``), the repo-level FIM pattern::

    [FIM_REP]myproject\\n[FIM_SEP]filename0\\nchunk 0 ... [FIM_SEP]filename\\n
    [BOS][FIM_PRE]prefix prompt[FIM_SUF]suffix[FIM_MID]

(``spm_infill``: suffix before prefix).  Without FIM repo/separator tokens a
chunk is introduced by ``\\n\\n--- snippet ---\\n\\n``.  As llama-server, the
prefix keeps its last ``3 * n_batch / 4`` tokens, the suffix its first
``n_batch / 4 - 2 - len(prompt)``, and the extra chunks their last
``n_ctx - n_batch - 2 * n_predict`` tokens (none when that is not positive:
with llama-server's ``n_batch`` of 2048, a slot context over 2048 tokens).
``n_predict`` is the server's ``-n`` (-1: none), ``n_ctx`` a slot's context.

Example::

    >>> from llama_native import Llama
    >>> from llama_native.testing import real_tokenizer_model_path
    >>> llm = Llama(str(real_tokenizer_model_path("starcoder")), n_ctx=64)
    >>> m = llm._model
    >>> ids = infill_tokens(m, "def f(", "):", [], [], n_batch=512, n_predict=8, n_ctx=64, spm=False)
    >>> ids[0] == m.token_fim_pre and ids[-1] == m.token_fim_mid
    True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .. import _native

#: llama-server's ``n_batch`` (its ``-b`` default), which sizes the parts of its infill prompt
LLAMA_SERVER_N_BATCH = 2048

#: llama-server's chunk separator without FIM separator tokens
SNIPPET = "\n\n--- snippet ---\n\n"


def _ids(model: _native.Model, text: str) -> list[int]:
    return list(model.tokenize(text.encode(), False, False))


def _token(model: _native.Model, name: str) -> int:
    return int(getattr(model, name, -1))


def infill_tokens(
    model: _native.Model,
    prefix: str,
    suffix: str,
    extra: Sequence[Mapping[str, Any]],
    prompt: Sequence[int],
    n_batch: int,
    n_predict: int,
    n_ctx: int,
    spm: bool,
) -> list[int]:
    """The prompt tokens llama-server's ``format_prompt_infill`` builds (see the module's docstring)."""
    rep, sep = _token(model, "token_fim_rep"), _token(model, "token_fim_sep")
    extra_tokens: list[int] = []
    if rep >= 0:
        extra_tokens += [rep, *_ids(model, "myproject\n")]
    for chunk in extra:
        if sep >= 0:
            extra_tokens += [sep, *_ids(model, str(chunk.get("filename", "tmp")) + "\n")]
        else:
            extra_tokens += _ids(model, SNIPPET)
        extra_tokens += _ids(model, str(chunk.get("text", "")))
    if sep >= 0:
        extra_tokens += [sep, *_ids(model, "filename\n")]
    before, after = _ids(model, prefix), _ids(model, suffix)
    n_prefix = min(len(before), 3 * (n_batch // 4))
    n_suffix = min(len(after), max(0, n_batch // 4 - (2 + len(prompt))))
    n_extra = min(max(0, n_ctx - n_batch - 2 * n_predict), len(extra_tokens))
    pre = [model.token_fim_pre, *before[len(before) - n_prefix :], *prompt]
    suf = [model.token_fim_suf, *after[:n_suffix]]
    first, last = (suf, pre) if spm else (pre, suf)
    bos = [model.token_bos] if model.add_bos and model.token_bos >= 0 else []
    kept = extra_tokens[len(extra_tokens) - n_extra :] if n_extra else []
    return [*kept, *bos, *first, *last, model.token_fim_mid]
