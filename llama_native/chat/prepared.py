"""``PreparedChat``: what one chat request turns into before generation (made by ``prepare_chat``).

The prompt side (:mod:`.completion`) makes it; the reply side (:mod:`.replies`)
reads the model's text with it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..grammar import LlamaGrammar
from .template_layer import TemplatePlan
from .tools import ToolCallFormat


@dataclass
class PreparedChat:
    """What one chat request turns into before generation."""

    prompt_tokens: list[int]
    grammar: LlamaGrammar | None
    stop: list[str]
    tool_mode: str = "none"  # "none", "auto" or "required"
    tool_format: ToolCallFormat | None = None
    functions: list[dict[str, Any]] = field(default_factory=list)  # the tools a call may name
    thinks: bool = False  # the template marks thinking: the reply's <think> part is reasoning_content
    thinking_opened: bool = False  # the prompt ends inside <think>
    plan: TemplatePlan | None = None  # the template's own tool syntax (llama.cpp's chat layer) parses the reply

    @property
    def reasoning_markers(self) -> tuple[str, str] | None:
        """The opening and closing markers of the template's reasoning block, if it marks one."""
        if self.plan is not None:
            return (self.plan.thinking_start, self.plan.thinking_ends[0]) if self.plan.thinking_ends else None
        return ("<think>", "</think>") if self.thinks else None
