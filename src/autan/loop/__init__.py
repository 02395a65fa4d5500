"""The loop: a pure generator over one run (``run_loop``), the effects it asks a driver to
perform, and the steps of tools mode and code mode."""

from autan.loop.config import ACTIONS, Actions, LoopConfig, check_actions
from autan.loop.effects import (
    AwaitApproval,
    CallModel,
    CallTool,
    CallTools,
    CodeCall,
    CodeEnded,
    CodeMessage,
    Decision,
    Effect,
    LoopStep,
    Outcome,
    ReplyToCode,
    StartCode,
    ToolOutcome,
)
from autan.loop.run import run_loop
from autan.loop.trust_rules import (
    TOOL_DECISIONS,
    TRUST_POLICIES,
    ToolDecision,
    TrustPolicy,
    TrustRules,
    check_trust_policy,
    trust_rules,
)

__all__ = [
    "ACTIONS",
    "TOOL_DECISIONS",
    "TRUST_POLICIES",
    "Actions",
    "AwaitApproval",
    "CallModel",
    "CallTool",
    "CallTools",
    "CodeCall",
    "CodeEnded",
    "CodeMessage",
    "Decision",
    "Effect",
    "LoopConfig",
    "LoopStep",
    "Outcome",
    "ReplyToCode",
    "StartCode",
    "ToolDecision",
    "ToolOutcome",
    "TrustPolicy",
    "TrustRules",
    "check_actions",
    "check_trust_policy",
    "run_loop",
    "trust_rules",
]
