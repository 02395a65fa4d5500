"""What the loop asks its driver to do (effects), and what comes back (outcomes). Records only.

The loop yields an effect; the driver performs it (or replays its journaled outcome) and sends
the outcome back in. A run ends with an ``Outcome``.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

from autan.errors import AutanError
from autan.events import ChildRun, Event
from autan.limits import Budget
from autan.messages import ModelRequest, ToolCall
from autan.result import RunResult
from autan.tools import Tool
from autan.tools._server_requests import Question, Reply, Sample


@dataclass(frozen=True, slots=True)
class CallModel:
    """Complete ``request``; the driver sends back a ``ModelResponse`` or an ``AutanError``."""

    step: int
    request: ModelRequest
    agent: str = ""
    """The agent whose model answers (``""``: the run's own); another after a handoff."""


@dataclass(frozen=True, slots=True)
class CallTool:
    """Run one validated, allowed call; the driver sends back a ``ToolOutcome``."""

    tool: Tool
    arguments: dict[str, object]
    key: str = ""
    """The call's idempotency key, ``"<run_id>:<step>:<index>"``."""
    call_id: str = ""
    budget: Budget = field(default_factory=Budget)
    """What the call may still spend: a child run (``Agent.as_tool``) gets no more, its
    server's sampling requests are refused past it."""
    replies: tuple[tuple[Question, Reply], ...] = ()
    """A person's answers to the questions the tool's server asked in earlier attempts."""
    may_ask: bool = False
    """A question without an answer pauses the run (else the server is told no)."""
    step: int = 0
    """The step the call belongs to (its server's samples are journaled under it)."""


@dataclass(frozen=True, slots=True)
class CallTools:
    """The validated, approved calls of one step, which do not depend on each other: a driver
    may run them concurrently, and sends back their outcomes in the order of ``calls``."""

    calls: tuple[CallTool, ...]


@dataclass(frozen=True, slots=True)
class AwaitApproval:
    """Ask for a person's decision on ``call``. A driver sends back a recorded ``Decision``, or
    throws ``AwaitingApproval`` into the loop to pause the run."""

    step: int
    call: ToolCall
    key: str
    reason: str = ""
    """Why the trust policy asks, when it does."""
    copied: tuple[str, ...] = ()
    """Argument text copied verbatim from untrusted results."""


@dataclass(frozen=True, slots=True)
class AwaitAnswer:
    """Ask a person to answer ``question``, which the server of ``call`` asked. A driver sends
    back the recorded ``Reply``, or throws ``AwaitingAnswer`` into the loop to pause the run."""

    step: int
    call: ToolCall
    key: str
    question: Question


@dataclass(frozen=True, slots=True)
class StartCode:
    """Run ``code`` in a fresh sandbox; the driver sends back its first ``CodeCall`` or its
    ``CodeEnded``."""

    step: int
    code: str


@dataclass(frozen=True, slots=True)
class ReplyToCode:
    """Answer the running code's pending call; the driver sends back the next message."""

    output: str
    is_error: bool


Effect = CallModel | CallTool | CallTools | AwaitApproval | AwaitAnswer | StartCode | ReplyToCode


@dataclass(frozen=True, slots=True)
class Decision:
    approved: bool
    reason: str = ""


@dataclass(frozen=True, slots=True)
class ToolOutcome:
    output: str
    is_error: bool
    seconds: float
    child: ChildRun | None = None
    """The child run the call was (``Agent.as_tool``): its spending is the run's too."""
    samples: tuple[Sample, ...] = ()
    """The sampling requests the tool's server made during the call."""
    question: Question | None = None
    """The server asked this and no answer was given: the call's result is to be discarded,
    and the call made again once a person answers."""


@dataclass(frozen=True, slots=True)
class CodeCall:
    """A tool call the code made, as it arrived: not yet validated."""

    name: str
    arguments: dict[str, Any]


@dataclass(frozen=True, slots=True)
class CodeEnded:
    """How a block ended. ``error`` is ``None`` when it ran to its end without failing."""

    stdout: str
    stderr: str
    error: str | None
    answered: bool
    answer: Any
    seconds: float


CodeMessage = CodeCall | CodeEnded


@dataclass(frozen=True, slots=True)
class Outcome:
    """How a run ended: its result, and the error that ended it (``None`` when it answered)."""

    result: RunResult[Any]
    error: AutanError | None


LoopStep = Generator[Event | Effect, object, Outcome]
"""A run of the loop: yields events and effects, takes outcomes, returns the ``Outcome``."""
