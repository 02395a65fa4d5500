"""What one run of the loop is configured with."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from autan.errors import ConfigurationError
from autan.limits import Limits
from autan.loop.trust_rules import TrustRules
from autan.tools import AnswerType, Tool

Actions = Literal["tools", "code"]
ACTIONS: tuple[Actions, ...] = ("tools", "code")


@dataclass(frozen=True, slots=True)
class LoopConfig:
    model_name: str
    tools: tuple[Tool, ...]
    instructions: str
    """The system message; the model's protocol adds the tools and the reply format to it."""
    limits: Limits
    max_tokens_per_step: int = 256
    run_id: str = ""
    concurrent_tool_calls: bool = True
    """Run a step's calls as one ``CallTools`` batch. Journals written before batches existed
    recorded each call's events in turn, so their runs resume with this off."""
    actions: Actions = "tools"
    """``"tools"``: the model calls tools one step at a time; ``"code"``: it writes Python that
    calls them (the ``code`` protocol)."""
    answer: AnswerType[Any] | None = None
    """The output type a final answer must validate as (``None``: any text)."""
    trust: TrustRules = field(default_factory=TrustRules)
    """After an untrusted result, calls with side effects wait for approval (``default``), are
    refused (``strict``) or run (``off``), and tools named in the rules as the user set them;
    see ``autan.loop.trust``."""
    agent_name: str = "agent"
    handoffs: Mapping[str, str] = field(default_factory=dict)
    """The handoff tools among ``tools``: tool name → the name of the agent it hands to."""
    team: Mapping[str, LoopConfig] = field(default_factory=dict)
    """Every agent a handoff can reach, by name, each configured for this run."""
    may_ask: bool = False
    """A person can answer the questions a tool's server asks (MCP elicitation; the run is
    journaled): an unanswered one pauses the run. Else each is declined."""


def check_actions(actions: str) -> Actions:
    """``actions`` if it is ``"tools"`` or ``"code"``; ``ConfigurationError`` otherwise."""
    for known in ACTIONS:
        if actions == known:
            return known
    raise ConfigurationError(f"actions must be 'tools' or 'code', got {actions!r}")
