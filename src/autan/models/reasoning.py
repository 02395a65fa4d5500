"""Reasoning models: separate thinking from the answer, and decide what goes back in history.

Reasoning arrives either in a separate field (``reasoning_content``: DeepSeek API, vLLM, llama.cpp
server) or inline as ``<think>…</think>`` in the content (R1 distills served raw). Either way it
becomes ``ModelResponse.reasoning`` and never part of the answer text.
"""

from __future__ import annotations

import re
from typing import Literal

ReasoningPolicy = Literal["drop", "keep", "keep_tool_turns"]
"""What earlier turns' reasoning does in the next request: dropped (saves tokens), always sent,
or sent only on assistant turns that made tool calls (DeepSeek requires that)."""

POLICIES: dict[str, ReasoningPolicy] = {
    "deepseek": "keep_tool_turns",
    "default": "drop",
}
"""Per provider or model family; ``default`` applies to everything not listed."""

_THINK = re.compile(r"<think>(.*?)(?:</think>|$)", re.DOTALL)


def policy_for(provider: str, override: ReasoningPolicy | None = None) -> ReasoningPolicy:
    return override or POLICIES.get(provider, POLICIES["default"])


def split_think(content: str) -> tuple[str, str]:
    """``(answer, reasoning)`` from content that may hold ``<think>`` blocks (closed or not).

    An R1 distill's chat template often opens ``<think>`` in the prompt, so the content starts
    with the reasoning and only a closing tag: that case is handled too.
    """
    if "</think>" in content and "<think>" not in content.split("</think>", 1)[0]:
        reasoning, answer = content.split("</think>", 1)
        return answer.strip(), reasoning.strip()
    thoughts = [match.group(1).strip() for match in _THINK.finditer(content)]
    answer = _THINK.sub("", content).strip()
    return answer, "\n".join(t for t in thoughts if t)


def send_back(policy: ReasoningPolicy, has_tool_calls: bool) -> bool:
    """Whether an earlier assistant turn's reasoning is included in the next request."""
    return policy == "keep" or (policy == "keep_tool_turns" and has_tool_calls)
