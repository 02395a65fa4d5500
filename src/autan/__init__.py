"""autan: agents on open-weight models, efficiency first.

The public surface is ``PUBLIC``, one table of module → names; ``__all__`` is made from it.
Names load on first use so that ``import autan`` stays cheap. The block for type checkers below
repeats the table; ``tests/test_public_api.py`` fails when the two differ.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from autan._version import __version__ as __version__

PUBLIC: dict[str, tuple[str, ...]] = {
    "autan.agent": ("Agent",),
    "autan.agent.replay": ("ReplayReport",),
    "autan.agent.cascade": ("Cascade",),
    "autan.agent.cascade_result": ("CascadeResult",),
    "autan.agent_file": ("load_agent",),
    "autan.batching": ("batch", "BatchSummary"),
    "autan.limits": ("Limits",),
    "autan.result": ("RunResult",),
    "autan.tools": ("Tool", "tool", "idempotency_key"),
    "autan.mcp": ("mcp_tools", "amcp_tools"),
    "autan.store": ("Store", "SQLiteStore", "PostgresStore"),
    "autan.models": ("Model", "load_model"),
    "autan.messages": ("Message", "ModelRequest", "ModelResponse", "ToolCall", "ToolSpec", "Usage"),
    "autan.events": (
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
        "AnswerRejected",
        "HandedOff",
        "ChildRun",
        "ChildEvent",
        "FinalAnswer",
        "RunFailed",
        "TierStarted",
        "TierEnded",
    ),
    "autan.errors": (
        "AutanError",
        "ConfigurationError",
        "ModelSpecError",
        "ModelFileError",
        "ToolDefinitionError",
        "WorkspaceError",
        "SandboxUnavailable",
        "MCPServerError",
        "AgentFileError",
        "RunInProgress",
        "ModelError",
        "AuthenticationError",
        "ModelNotFoundError",
        "RateLimitError",
        "ContextLengthExceeded",
        "ServerError",
        "ModelConnectionError",
        "ModelTimeout",
        "ResponseTooLarge",
        "StoreError",
        "RunCancelled",
        "TelemetryError",
        "RunError",
        "LimitExceeded",
        "ToolRetriesExhausted",
        "ResumeNeedsDecision",
        "AwaitingApproval",
        "CascadeFailed",
        "VerifierFailed",
        "AwaitingAnswer",
    ),
}

_MODULE_OF = {name: module for module, names in PUBLIC.items() for name in names}

__all__ = sorted([*_MODULE_OF, "__version__"])

if TYPE_CHECKING:  # the same names, for type checkers (`X as X`: re-exported)
    from autan.agent import Agent as Agent
    from autan.agent.cascade import Cascade as Cascade
    from autan.agent.cascade_result import CascadeResult as CascadeResult
    from autan.agent.replay import ReplayReport as ReplayReport
    from autan.agent_file import load_agent as load_agent
    from autan.batching import BatchSummary as BatchSummary
    from autan.batching import batch as batch
    from autan.errors import AgentFileError as AgentFileError
    from autan.errors import AutanError as AutanError
    from autan.errors import AuthenticationError as AuthenticationError
    from autan.errors import AwaitingAnswer as AwaitingAnswer
    from autan.errors import AwaitingApproval as AwaitingApproval
    from autan.errors import CascadeFailed as CascadeFailed
    from autan.errors import ConfigurationError as ConfigurationError
    from autan.errors import ContextLengthExceeded as ContextLengthExceeded
    from autan.errors import LimitExceeded as LimitExceeded
    from autan.errors import MCPServerError as MCPServerError
    from autan.errors import ModelConnectionError as ModelConnectionError
    from autan.errors import ModelError as ModelError
    from autan.errors import ModelFileError as ModelFileError
    from autan.errors import ModelNotFoundError as ModelNotFoundError
    from autan.errors import ModelSpecError as ModelSpecError
    from autan.errors import ModelTimeout as ModelTimeout
    from autan.errors import RateLimitError as RateLimitError
    from autan.errors import ResponseTooLarge as ResponseTooLarge
    from autan.errors import ResumeNeedsDecision as ResumeNeedsDecision
    from autan.errors import RunCancelled as RunCancelled
    from autan.errors import RunError as RunError
    from autan.errors import RunInProgress as RunInProgress
    from autan.errors import SandboxUnavailable as SandboxUnavailable
    from autan.errors import ServerError as ServerError
    from autan.errors import StoreError as StoreError
    from autan.errors import TelemetryError as TelemetryError
    from autan.errors import ToolDefinitionError as ToolDefinitionError
    from autan.errors import ToolRetriesExhausted as ToolRetriesExhausted
    from autan.errors import VerifierFailed as VerifierFailed
    from autan.errors import WorkspaceError as WorkspaceError
    from autan.events import AnswerRejected as AnswerRejected
    from autan.events import ApprovalDecided as ApprovalDecided
    from autan.events import ApprovalRequested as ApprovalRequested
    from autan.events import ChildEvent as ChildEvent
    from autan.events import ChildRun as ChildRun
    from autan.events import CodeFinished as CodeFinished
    from autan.events import CodeStarted as CodeStarted
    from autan.events import Event as Event
    from autan.events import FinalAnswer as FinalAnswer
    from autan.events import HandedOff as HandedOff
    from autan.events import ModelRequested as ModelRequested
    from autan.events import ModelResponded as ModelResponded
    from autan.events import RunFailed as RunFailed
    from autan.events import RunStarted as RunStarted
    from autan.events import TextDelta as TextDelta
    from autan.events import TierEnded as TierEnded
    from autan.events import TierStarted as TierStarted
    from autan.events import ToolCalled as ToolCalled
    from autan.events import ToolResulted as ToolResulted
    from autan.events import ToolStarted as ToolStarted
    from autan.limits import Limits as Limits
    from autan.mcp import amcp_tools as amcp_tools
    from autan.mcp import mcp_tools as mcp_tools
    from autan.messages import Message as Message
    from autan.messages import ModelRequest as ModelRequest
    from autan.messages import ModelResponse as ModelResponse
    from autan.messages import ToolCall as ToolCall
    from autan.messages import ToolSpec as ToolSpec
    from autan.messages import Usage as Usage
    from autan.models import Model as Model
    from autan.models import load_model as load_model
    from autan.result import RunResult as RunResult
    from autan.store import PostgresStore as PostgresStore
    from autan.store import SQLiteStore as SQLiteStore
    from autan.store import Store as Store
    from autan.tools import Tool as Tool
    from autan.tools import idempotency_key as idempotency_key
    from autan.tools import tool as tool


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'autan' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
