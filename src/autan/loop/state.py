"""What the loop knows so far, and the helpers every step uses to record and end."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from autan.errors import AutanError, LimitExceeded, RunError
from autan.events import Event
from autan.limits import Budget, Limits
from autan.loop.effects import Outcome
from autan.loop.trust import Untrusted
from autan.messages import Message, ToolCall, ToolChoice, Usage
from autan.result import RunResult


@dataclass
class LoopState:
    """Every field is derived from the events appended."""

    messages: list[Message]
    run_id: str = ""
    events: list[Event] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    steps: int = 0
    tool_calls: int = 0
    failures_in_a_row: int = 0
    known_results: dict[str, str] = field(default_factory=dict)
    failed_code: dict[str, list[int]] = field(default_factory=dict)
    """Code mode: each block that failed (lines without trailing blanks), and the steps it
    failed at."""
    next_choice: ToolChoice = "auto"
    untrusted: list[Untrusted] = field(default_factory=list)
    """The untrusted results that entered the context, for the trust policy."""
    handoff: Transfer | None = None
    """A transfer the model asked for in this step, made when the step ends."""
    turns: tuple[int, ...] = ()
    """Where each turn of the conversation begins in ``messages`` (this run's task last)."""
    sampled: int = 0
    """Sampling requests of tool servers answered by the model (each counts as a step)."""
    started: float = field(default_factory=time.perf_counter, compare=False)
    """When the run started (``time.perf_counter``), for ``max_wall_seconds``."""

    @property
    def model_requests(self) -> int:
        """Model requests so far: the loop's steps and the servers' sampling requests."""
        return self.steps + self.sampled


@dataclass(frozen=True, slots=True)
class Transfer:
    """A handoff tool's call: the agent to hand the conversation to."""

    call_id: str
    agent: str


def record(state: LoopState, event: Event) -> Event:
    state.events.append(event)
    return event


def partial(state: LoopState) -> RunResult:
    return RunResult(None, tuple(state.events), 0.0, state.run_id or None)


def limit(state: LoopState, name: str, bound: float) -> LimitExceeded:
    return LimitExceeded(f"limit {name}={bound} reached", partial(state), name)


def check_limits(state: LoopState, limits: Limits, started: float) -> None:
    if limits.max_steps is not None and state.model_requests >= limits.max_steps:
        raise limit(state, "max_steps", limits.max_steps)
    if limits.max_total_tokens is not None and state.usage.total_tokens >= limits.max_total_tokens:
        raise limit(state, "max_total_tokens", limits.max_total_tokens)
    check_wall_clock(state, limits, started)


def check_wall_clock(state: LoopState, limits: Limits, started: float) -> None:
    left = time_left(limits, started)
    if left is not None and left <= 0:
        raise limit(state, "max_wall_seconds", limits.max_wall_seconds or 0)


def budget_left(state: LoopState, limits: Limits) -> Budget:
    """What a call may still spend: the tokens and seconds left (which a child run shares),
    and the model requests left of ``max_steps`` (a sampling request counts as one)."""
    tokens = limits.max_total_tokens
    left = None if tokens is None else tokens - state.usage.total_tokens
    steps = limits.max_steps
    requests = None if steps is None else steps - state.model_requests
    return Budget(left, time_left(limits, state.started), requests)


def time_left(limits: Limits, started: float) -> float | None:
    """Seconds left of ``max_wall_seconds`` (``None``: unbounded); a model request gets no
    more than this (``ModelRequest.timeout_seconds``)."""
    if limits.max_wall_seconds is None:
        return None
    return max(0.0, limits.max_wall_seconds - (time.perf_counter() - started))


def count_failure(state: LoopState, failed: bool) -> None:
    state.failures_in_a_row = state.failures_in_a_row + 1 if failed else 0


def call_key(call: ToolCall) -> str:
    """Two calls with this key can only return the same result."""
    return call.name + json.dumps(call.arguments, sort_keys=True, default=str)


def finish(state: LoopState, started: float, output: Any, error: AutanError | None) -> Outcome:
    seconds = time.perf_counter() - started
    messages = tuple(state.messages) if error is None else ()
    turns = state.turns if error is None else ()
    result: RunResult[Any] = RunResult(
        output, tuple(state.events), seconds, state.run_id or None, messages, turns
    )
    if isinstance(error, RunError):
        error.result = result
    return Outcome(result, error)
