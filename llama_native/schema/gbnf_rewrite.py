"""Rewrite GBNF by its structure: stay inside llama.cpp's parser limit on nested repetitions; rename rules.

llama.cpp expands ``S{m,n}`` into up to ``n`` rules, and refuses a
repetition when the rules of the repeated group times ``n`` exceed 2000
("number of rules that are going to be repeated multiplied by the new
repetition exceeds sane defaults").  A pattern such as ``([a-z]{1,100}-){1,50}``
gets there.  The same language stays writable: a repeated group moved into a
rule of its own counts as one rule, so the repetition multiplies one.

Why our own small GBNF reader: llama.cpp's parser is C++ and only says
"too many"; the rewrite needs the group structure of our emitted rules,
whose syntax (literals, classes, names, groups, ``* + ? {m,n}``) is all it
reads.

Example::

    >>> from llama_native.schema.gbnf_rewrite import split_large_repetitions
    >>> rules = split_large_repetitions({"root": '("a"{1,100} "-"){1,50}'})
    >>> for name, body in rules.items():
    ...     print(name, "::=", body)
    root ::= root-group1{1,50}
    root-group1 ::= "a"{1,100} "-"
    >>> print(prefixed_rules('root ::= item ("," item)*\\nitem ::= "x"', "a-"), end="")
    a-root ::= a-item ("," a-item)*
    a-item ::= "x"
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: llama.cpp's ``MAX_REPETITION_THRESHOLD``.
PARSER_LIMIT = 2000
_TOKEN = re.compile(r'\s+|"(?:\\.|[^"\\])*"|\[(?:\\.|[^\]\\])*\]|[a-zA-Z0-9_-]+|\{\d+(?:,\d*)?\}|[()|*+?.]')
_QUANTIFIER = re.compile(r"\{(\d+)(?:(,)(\d*))?\}|[*+?]")


@dataclass
class _Group:
    """A parenthesised alternation: its sequences of items (token text or nested groups with quantifiers)."""

    alternatives: list[list[tuple[str | _Group, str]]]


def split_large_repetitions(rules: dict[str, str]) -> dict[str, str]:
    """``rules`` with every repeated group that would pass the limit moved into a rule of its own."""
    out: dict[str, str] = {}
    pending = list(rules.items())
    while pending:
        name, body = pending.pop(0)
        if "{" not in body:
            out[name] = body
            continue
        tokens = _tokens(body)
        if tokens is None:  # something this reader does not know: leave it
            out[name] = body
            continue
        group, _ = _parse(tokens, 0)
        hoisted: list[tuple[str, str]] = []
        text, _count = _write(group, name, hoisted, set(rules) | set(out))
        out[name] = text if hoisted else body  # unchanged text unless a group moved out
        pending = hoisted + pending
    return out


def _tokens(body: str) -> list[str] | None:
    tokens, pos = [], 0
    while pos < len(body):
        match = _TOKEN.match(body, pos)
        if match is None:
            return None
        if not match.group().isspace():
            tokens.append(match.group())
        pos = match.end()
    return tokens


def _parse(tokens: list[str], i: int) -> tuple[_Group, int]:
    alternatives: list[list[tuple[str | _Group, str]]] = [[]]
    while i < len(tokens) and tokens[i] != ")":
        token = tokens[i]
        if token == "|":
            alternatives.append([])
            i += 1
            continue
        item: str | _Group
        if token == "(":
            item, i = _parse(tokens, i + 1)
            i += 1  # the closing parenthesis
        else:
            item, i = token, i + 1
        quantifier = ""
        if i < len(tokens) and _QUANTIFIER.fullmatch(tokens[i]):
            quantifier, i = tokens[i], i + 1
        alternatives[-1].append((item, quantifier))
    return _Group(alternatives), i


def _expansion(quantifier: str) -> tuple[int, int]:
    """(rules the parser generates for the repetition, the factor it multiplies the item's rules by)."""
    if not quantifier:
        return 0, 1
    if quantifier in "*+?":
        return 1, 1
    match = _QUANTIFIER.fullmatch(quantifier)
    assert match is not None
    low = int(match.group(1))
    if match.group(2) is None:
        return max(low - 1, 0), max(low, 1)
    if match.group(3) == "":
        return 1, max(low, 1)
    high = int(match.group(3))
    return high - low, max(high, 1)


def _write(group: _Group, name: str, hoisted: list[tuple[str, str]], taken: set[str]) -> tuple[str, int]:
    """The group's text, and (over-)counted rules the parser generates for it."""
    sequences = []
    count = 0
    for sequence in group.alternatives:
        parts = []
        for item, quantifier in sequence:
            generated, factor = _expansion(quantifier)
            if isinstance(item, _Group):
                inner, inner_count = _write(item, name, hoisted, taken)
                if (inner_count + 1) * factor > PARSER_LIMIT // 2:
                    rule = _fresh_name(f"{name}-group", taken)
                    hoisted.append((rule, inner))
                    text, item_count = rule, 1
                else:
                    text, item_count = f"({inner})", inner_count + 1
            else:
                text, item_count = item, 1 if re.fullmatch(r"[a-zA-Z0-9_-]+", item) else 0
            parts.append(text + quantifier)
            count += item_count + generated
        sequences.append(" ".join(parts))
    return " | ".join(sequences), count


def _fresh_name(base: str, taken: set[str]) -> str:
    i = 1
    while f"{base}{i}" in taken:
        i += 1
    taken.add(f"{base}{i}")
    return f"{base}{i}"


def prefixed_rules(gbnf: str, prefix: str) -> str:
    """``gbnf`` with every rule it defines renamed ``prefix + name`` (references too), to join two grammars."""
    lines = [line for line in gbnf.split("\n") if line.strip()]
    defined = {line.split("::=", 1)[0].strip() for line in lines}
    out = []
    for line in lines:
        name, body = (part.strip() for part in line.split("::=", 1))
        tokens = _tokens(body)
        if tokens is None:
            raise ValueError(f"cannot read the GBNF rule {name!r}")
        text = ""
        for token in (prefix + t if t in defined else t for t in tokens):
            glued = text.endswith("(") or token == ")" or _QUANTIFIER.fullmatch(token) is not None
            text += token if glued or not text else " " + token
        out.append(f"{prefix}{name} ::= {text}")
    return "\n".join(out) + "\n"
