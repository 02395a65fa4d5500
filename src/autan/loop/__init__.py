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

__all__ = [
    "ACTIONS",
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
    "ToolOutcome",
    "check_actions",
    "run_loop",
]
