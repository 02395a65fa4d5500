"""Bounds on a run, checked before every model call and every tool call."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TypeVar

from autan.errors import ConfigurationError

POSITIVE = frozenset({"max_steps", "max_total_tokens", "max_wall_seconds"})
"""Bounds that must be more than 0: at 0 a run would stop before its first model call."""


@dataclass(frozen=True, slots=True)
class Limits:
    """``None`` means unbounded. A run never goes past a bound by more than one model request."""

    max_steps: int | None = 10
    max_total_tokens: int | None = None
    max_wall_seconds: float | None = None
    max_tool_calls: int | None = None
    """0 allows no tool call: the model must answer."""
    tool_retries: int = 2
    """How many failed tool calls in a row the model may make before the run stops."""

    def __post_init__(self) -> None:
        for name in ("max_steps", "max_total_tokens", "max_wall_seconds", "max_tool_calls"):
            check_limit(name, getattr(self, name))
        check_limit("tool_retries", self.tool_retries)


def check_limit(name: str, value: float | None) -> None:
    """Raise ``ConfigurationError`` unless ``value`` may be the ``Limits`` field ``name``."""
    if value is None:
        return
    if name in POSITIVE and not value > 0:  # `not >` also refuses NaN
        raise ConfigurationError(f"limit {name} must be positive, got {value}")
    if not value >= 0:
        raise ConfigurationError(f"limit {name} must not be negative, got {value}")


@dataclass(frozen=True, slots=True)
class Budget:
    """What a run has left of its bounds when one of its calls starts (``None``: unbounded):
    what the call may still spend. Tokens and seconds hold for the run's whole tree of runs (a
    child run, ``Agent.as_tool``, gets no more); ``requests``, what is left of ``max_steps``,
    bounds the model requests the tool's server makes (MCP sampling: each counts as a model
    request of the run; a child run counts its own steps)."""

    tokens: int | None = None
    seconds: float | None = None
    requests: int | None = None

    @property
    def spent(self) -> str | None:
        """The name of the bound a child run shares that has nothing left, or ``None``."""
        if self.tokens is not None and self.tokens <= 0:
            return "max_total_tokens"
        if self.seconds is not None and self.seconds <= 0:
            return "max_wall_seconds"
        return None

    def bound(self, limits: Limits) -> Limits:
        """``limits`` made to fit what is left (a child's own bounds where they are smaller).
        Only for a budget that is not ``spent``."""
        return dataclasses.replace(
            limits,
            max_total_tokens=_smaller(limits.max_total_tokens, self.tokens),
            max_wall_seconds=_smaller(limits.max_wall_seconds, self.seconds),
        )


T = TypeVar("T", int, float)


def _smaller(own: T | None, left: T | None) -> T | None:
    if left is None:
        return own
    return left if own is None else min(own, left)
