"""One slot's KV cache of a :class:`~llama_native.Llama`: saved, restored, erased.

A slot is one of the ``n_parallel`` sequences requests run in (llama-server's
slots).  With ``n_parallel=1`` the slot is the context itself (these are
:meth:`Llama.save_state <llama_native.Llama.save_state>`, ``load_state`` and
``reset``).  With more, the context's scheduler does the work between two
decoding steps once that slot is idle (a request running in it finishes
first), so requests in the other slots go on undisturbed; a request then sent
with ``slot=`` that slot (``CompletionRequest.slot``, llama-server's
``id_slot``) reuses the restored tokens as its cached prefix.

Example::

    >>> from llama_native import Llama
    >>> from llama_native.slot_state import erase_slot, load_slot, save_slot
    >>> from llama_native.testing import synthetic_model_path
    >>> llm = Llama(str(synthetic_model_path()), n_ctx=64, n_parallel=2)
    >>> _ = llm.create_completion("hello", max_tokens=2, temperature=0.0)
    >>> state = max((save_slot(llm, i) for i in (0, 1)), key=lambda s: len(s.tokens))
    >>> len(state.tokens) > 0
    True
    >>> load_slot(llm, 1, state); erase_slot(llm, 1) == len(state.tokens)
    True
"""

from __future__ import annotations

from .cache import LlamaState
from .llama import Llama


def n_slots(llm: Llama) -> int:
    """The slots of ``llm`` (its ``n_parallel``)."""
    return int(llm.context_params["n_parallel"])


def _check(llm: Llama, slot: int) -> None:
    n = n_slots(llm)
    if isinstance(slot, bool) or not isinstance(slot, int) or not 0 <= slot < n:
        raise ValueError(f"slot must be an integer from 0 to {n - 1} (this model has {n} slots), got {slot!r}")


def save_slot(llm: Llama, slot: int) -> LlamaState:
    """The KV state of ``slot`` and the tokens it holds (waits for a request running in it to end)."""
    _check(llm, slot)
    if n_slots(llm) == 1:
        return llm.save_state()
    data, tokens = llm._context().save_slot(slot)
    return LlamaState(tuple(tokens), data)


def load_slot(llm: Llama, slot: int, state: LlamaState) -> None:
    """Make ``slot`` hold ``state`` (``ValueError`` if it does not fit this model and slot; the slot is then empty)."""
    _check(llm, slot)
    if n_slots(llm) == 1:
        llm.load_state(state)
        return
    llm._context().restore_slot(slot, state.data, list(state.tokens))


def erase_slot(llm: Llama, slot: int) -> int:
    """Empty ``slot``; the number of tokens it held."""
    _check(llm, slot)
    if n_slots(llm) == 1:
        n = len(llm.cached_tokens())
        llm.reset()
        return n
    return int(llm._context().erase_slot(slot))
