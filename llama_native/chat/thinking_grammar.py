"""A grammar that lets a reasoning model think before the constrained answer.

A schema grammar that holds from the first token leaves a reasoning model no
room to think.  For a template that marks thinking (``<think>``/``</think>``),
the answer's grammar is put after the thinking instead:

- when the prompt opened the block (the reply starts inside it), the grammar
  is lazy: it waits for the end marker and constrains from it on (the
  marker, then the answer), as llama-server's chat grammars do;
- otherwise the reply may open a block first: ``("<think>" ... "</think>")?``
  then the answer, constrained from the first token.

The thinking is any text without the end marker (so the budget of
``reasoning_budget`` can still force it).  The answer's end check (for
keywords the grammar cannot hold) sees only the answer.

Example::

    >>> from llama_native import LlamaGrammar
    >>> answer = LlamaGrammar('root ::= "yes" | "no"')
    >>> g = thinking_then(answer, opened=False)
    >>> g.accepts("<think>Hm, maybe.</think>\\nyes"), g.accepts("no"), g.accepts("<think>x</think>maybe")
    (True, True, False)
"""

from __future__ import annotations

from ..grammar import LlamaGrammar
from ..schema.gbnf_rewrite import prefixed_rules
from .template_layer import regex_escape


def _char_class(chars: set[str], negate: bool) -> str:
    controls = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}
    escaped = "".join("\\" + c if c in "]\\^-[" else controls.get(c, c) for c in sorted(chars))
    return "[" + ("^" if negate else "") + escaped + "]"


def excluding_rules(name: str, marker: str) -> str:
    """GBNF rules ``name`` for any text that does not contain ``marker`` (a KMP automaton, one rule a state)."""
    n = len(marker)
    failure = [0] * n  # the KMP failure function
    k = 0
    for i in range(1, n):
        while k and marker[i] != marker[k]:
            k = failure[k - 1]
        if marker[i] == marker[k]:
            k += 1
        failure[i] = k

    def step(state: int, char: str) -> int:
        while state and marker[state] != char:
            state = failure[state - 1]
        return state + 1 if marker[state] == char else 0

    alphabet = set(marker)
    rules = []
    for state in range(n):
        moves: dict[int, set[str]] = {}  # state -> the marker's characters that lead there
        for char in alphabet:
            moves.setdefault(step(state, char), set()).add(char)
        special = set().union(*(chars for target, chars in moves.items() if target))  # (n: forbidden)
        alternatives = [f"{_char_class(chars, False)} {name}-{target}" for target, chars in sorted(moves.items())
                        if 0 < target < n]
        alternatives.append(f"{_char_class(special, True)} {name}-0")
        rules.append(f"{name}-{state} ::= | " + " | ".join(alternatives))
    rules.append(f"{name} ::= {name}-0")
    return "\n".join(rules) + "\n"


def thinking_then(answer: LlamaGrammar, *, opened: bool, start: str = "<think>", end: str = "</think>") -> LlamaGrammar:
    """``answer`` after an optional (or, when ``opened``, already open) reasoning block."""
    if answer.lazy or answer.llguidance_lark is not None:
        raise ValueError("only a GBNF grammar that holds from the first token can follow the thinking")
    body = prefixed_rules(answer.grammar, "answer-")
    gap = 'think-gap ::= [ \\t\\n]{0,4}\n'
    if opened:
        gbnf = f'root ::= "{_literal(end)}" think-gap answer-{answer.root}\n' + gap + body
        grammar = LlamaGrammar(gbnf, trigger_patterns=[regex_escape(end)])
    else:
        gbnf = (
            f'root ::= ("{_literal(start)}" think-text "{_literal(end)}" think-gap)? answer-{answer.root}\n'
            + gap
            + excluding_rules("think-text", end)
            + body
        )
        grammar = LlamaGrammar(gbnf)
    grammar.thinking = True
    check = answer.end_check
    if check is not None:
        grammar.end_check = lambda text: check(_after_thinking(text, end))
    return grammar


def _after_thinking(text: str, end: str) -> str:
    at = text.find(end)
    return text if at < 0 else text[at + len(end) :].lstrip(" \t\n")


def _literal(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
