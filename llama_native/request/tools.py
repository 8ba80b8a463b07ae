"""``ToolSpec``: a request's tools and tool choice, normalised once.

OpenAI's ``tools``/``tool_choice``, the legacy ``functions``/``function_call``,
and the integrations' spellings (LangChain's ``"any"``, ``True`` or a bare
tool name; LlamaIndex's ``tool_required``) all become one ``ToolSpec``: the
tools, the mode (``"none"``, ``"auto"`` or ``"required"``) and the named tool
when the choice names one.  :func:`normalize_tool_choice` is the only place
that reads a ``tool_choice``.

Example::

    >>> from llama_native.request import ToolSpec
    >>> add = {"type": "function", "function": {"name": "add", "parameters": {"type": "object"}}}
    >>> spec = ToolSpec.from_openai([add], tool_choice={"type": "function", "function": {"name": "add"}})
    >>> spec.mode, spec.named, spec.max_calls()
    ('required', 'add', 1)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

ToolMode = Literal["none", "auto", "required"]
_CHOICE_HELP = "'none', 'auto', 'required' or {'type': 'function', 'function': {'name': ...}}"


def normalize_tool_choice(tool_choice: Any, names: Sequence[str] | None = None, *, loose: bool = False) -> Any:
    """``tool_choice`` in OpenAI's form: ``"none"``, ``"auto"``, ``"required"``, a named-function dict, or None.

    ``names`` (the offered tools) is checked against a named choice.
    ``loose=True`` also reads the integrations' spellings: ``True``/``"any"``
    (required), ``False`` (None: the default) and a bare tool name.

    Example::

        >>> normalize_tool_choice("add", ["add"], loose=True)
        {'type': 'function', 'function': {'name': 'add'}}
    """
    if loose:
        if tool_choice is False:
            return None
        if tool_choice is True or tool_choice == "any":
            return "required"
        if isinstance(tool_choice, str) and tool_choice not in ("none", "auto", "required"):
            if names is not None and tool_choice not in names:
                raise ValueError(f"tool_choice {tool_choice!r} is not among the bound tools {list(names)}")
            return {"type": "function", "function": {"name": tool_choice}}
    if tool_choice is None or tool_choice in ("none", "auto", "required"):
        return tool_choice
    if isinstance(tool_choice, dict):
        name = (tool_choice.get("function") or {}).get("name") or tool_choice.get("name")
        if names is not None and name not in names:
            which = "bound tools" if loose else "tools"
            raise ValueError(f"tool_choice names {name!r}, which is not among the {which} {list(names)}")
        return {"type": "function", "function": {"name": name}}
    if loose:
        raise ValueError(
            f"tool_choice must be 'auto', 'any', 'required', 'none', True, a tool name or a dict, got {tool_choice!r}"
        )
    raise ValueError(f"tool_choice must be {_CHOICE_HELP}, got {tool_choice!r}")


def tool_functions(tools: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The ``function`` objects of OpenAI-format tools, checked."""
    functions = []
    for tool in tools:
        if not isinstance(tool, dict) or tool.get("type", "function") != "function" or "function" not in tool:
            raise ValueError(f"each tool must be {{'type': 'function', 'function': {{...}}}}, got {tool!r}")
        function = tool["function"]
        if not isinstance(function, dict) or not function.get("name"):
            raise ValueError(f"a tool's function needs a name, got {function!r}")
        functions.append(function)
    names = [f["name"] for f in functions]
    if len(set(names)) != len(names):
        raise ValueError(f"tool names must be unique, got {names}")
    return functions


@dataclass(frozen=True)
class ToolSpec:
    """A request's tools: ``tools`` (OpenAI's form), their ``functions``, the mode and the named tool.

    ``choice`` is the normalised ``tool_choice`` as OpenAI spells it (what
    templates and remote servers get); ``parallel`` is
    ``parallel_tool_calls`` (None: allowed); ``max_tool_calls`` caps the
    calls of one reply (None: one per tool).
    """

    tools: tuple[dict[str, Any], ...] = ()
    functions: tuple[dict[str, Any], ...] = ()
    mode: ToolMode = "none"
    named: str | None = None
    choice: Any = None
    parallel: bool | None = None
    max_tool_calls: int | None = None

    @classmethod
    def from_openai(
        cls,
        tools: Sequence[dict[str, Any]] | None = None,
        tool_choice: Any = None,
        *,
        functions: Sequence[dict[str, Any]] | None = None,
        function_call: Any = None,
        parallel_tool_calls: bool | None = None,
        max_tool_calls: int | None = None,
    ) -> ToolSpec:
        """Read OpenAI's ``tools``/``tool_choice`` (or the legacy ``functions``/``function_call``)."""
        if functions is not None:  # the legacy OpenAI API
            if tools is not None:
                raise ValueError("pass either functions or tools, not both")
            tools = [{"type": "function", "function": f} for f in functions]
            if isinstance(function_call, dict):
                tool_choice = {"type": "function", "function": {"name": function_call.get("name")}}
            elif function_call is not None:
                tool_choice = function_call
        if max_tool_calls is not None and (
            isinstance(max_tool_calls, bool) or not isinstance(max_tool_calls, int) or max_tool_calls < 1
        ):
            raise ValueError(f"max_tool_calls must be a positive integer, got {max_tool_calls!r}")
        found = tool_functions(tools or [])
        names = [f["name"] for f in found]
        if not found:
            if tool_choice not in (None, "none", "auto"):
                raise ValueError("tool_choice needs tools")
            return cls(tuple(tools or ()), (), "none", None, tool_choice, parallel_tool_calls, max_tool_calls)
        choice = normalize_tool_choice(tool_choice, names)
        mode: ToolMode
        named = None
        if choice is None:
            mode = "auto"
        elif isinstance(choice, dict):
            mode, named = "required", choice["function"]["name"]
        else:
            mode = choice
        return cls(tuple(tools or ()), tuple(found), mode, named, choice, parallel_tool_calls, max_tool_calls)

    @property
    def called(self) -> list[dict[str, Any]]:
        """The functions a call may name: the named one, or all of them."""
        if self.named is not None:
            return [f for f in self.functions if f["name"] == self.named]
        return list(self.functions)

    @property
    def allows_parallel(self) -> bool:
        """``parallel_tool_calls`` (default: True)."""
        return True if self.parallel is None else bool(self.parallel)

    def max_calls(self) -> int:
        """How many calls one reply may hold.

        A named choice and ``parallel_tool_calls=False`` allow one call;
        otherwise ``max_tool_calls``, by default one per tool (a model that
        repeats the same call cannot run on until ``max_tokens``).
        """
        if self.named is not None or not self.allows_parallel:
            return 1
        return self.max_tool_calls if self.max_tool_calls is not None else max(len(self.called), 1)
