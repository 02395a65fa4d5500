"""autan: agents on open-weight models, efficiency first.

The public surface is ``__all__``. Names load on first use so that ``import autan`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from autan._version import __version__

if TYPE_CHECKING:
    from autan._replay import ReplayReport
    from autan.agent import Agent
    from autan.errors import (
        AutanError,
        AuthenticationError,
        AwaitingApproval,
        ConfigurationError,
        ContextLengthExceeded,
        LimitExceeded,
        ModelConnectionError,
        ModelError,
        ModelFileError,
        ModelNotFoundError,
        ModelSpecError,
        RateLimitError,
        ResumeNeedsDecision,
        RunError,
        ServerError,
        StoreError,
        ToolDefinitionError,
        ToolRetriesExhausted,
        WorkspaceError,
    )
    from autan.events import (
        ApprovalDecided,
        ApprovalRequested,
        CodeFinished,
        CodeStarted,
        Event,
        FinalAnswer,
        ModelRequested,
        ModelResponded,
        RunFailed,
        RunStarted,
        TextDelta,
        ToolCalled,
        ToolResulted,
        ToolStarted,
    )
    from autan.limits import Limits
    from autan.messages import Message, ModelRequest, ModelResponse, ToolCall, ToolSpec, Usage
    from autan.models import Model, load_model
    from autan.result import RunResult
    from autan.store import PostgresStore, SQLiteStore, Store
    from autan.tools import Tool, idempotency_key, tool

_EXPORTS = {
    "Agent": "autan.agent",
    "Limits": "autan.limits",
    "RunResult": "autan.result",
    "Tool": "autan.tools",
    "tool": "autan.tools",
    "idempotency_key": "autan.tools",
    "Store": "autan.store",
    "SQLiteStore": "autan.store",
    "PostgresStore": "autan.store",
    "ReplayReport": "autan._replay",
    "Model": "autan.models",
    "load_model": "autan.models",
    **dict.fromkeys(
        ["Message", "ModelRequest", "ModelResponse", "ToolCall", "ToolSpec", "Usage"],
        "autan.messages",
    ),
    **dict.fromkeys(
        [
            "Event",
            "RunStarted",
            "ModelRequested",
            "TextDelta",
            "ModelResponded",
            "ToolCalled",
            "ToolStarted",
            "ToolResulted",
            "ApprovalRequested",
            "ApprovalDecided",
            "CodeStarted",
            "CodeFinished",
            "FinalAnswer",
            "RunFailed",
        ],
        "autan.events",
    ),
    **dict.fromkeys(
        [
            "AutanError",
            "ConfigurationError",
            "ModelSpecError",
            "ModelFileError",
            "ToolDefinitionError",
            "WorkspaceError",
            "ModelError",
            "AuthenticationError",
            "ModelNotFoundError",
            "RateLimitError",
            "ContextLengthExceeded",
            "ServerError",
            "ModelConnectionError",
            "StoreError",
            "RunError",
            "LimitExceeded",
            "ToolRetriesExhausted",
            "ResumeNeedsDecision",
            "AwaitingApproval",
        ],
        "autan.errors",
    ),
}

__all__ = [
    "Agent",
    "ApprovalDecided",
    "ApprovalRequested",
    "AutanError",
    "AuthenticationError",
    "AwaitingApproval",
    "CodeFinished",
    "CodeStarted",
    "ConfigurationError",
    "ContextLengthExceeded",
    "Event",
    "FinalAnswer",
    "LimitExceeded",
    "Limits",
    "Message",
    "Model",
    "ModelConnectionError",
    "ModelError",
    "ModelFileError",
    "ModelNotFoundError",
    "ModelRequest",
    "ModelRequested",
    "ModelResponded",
    "ModelResponse",
    "ModelSpecError",
    "PostgresStore",
    "RateLimitError",
    "ReplayReport",
    "ResumeNeedsDecision",
    "RunError",
    "RunFailed",
    "RunResult",
    "RunStarted",
    "SQLiteStore",
    "ServerError",
    "Store",
    "StoreError",
    "TextDelta",
    "Tool",
    "ToolCall",
    "ToolCalled",
    "ToolDefinitionError",
    "ToolResulted",
    "ToolRetriesExhausted",
    "ToolSpec",
    "ToolStarted",
    "Usage",
    "WorkspaceError",
    "__version__",
    "idempotency_key",
    "load_model",
    "tool",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'autan' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
