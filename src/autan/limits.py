"""Bounds on a run, checked before every model call and every tool call."""

from __future__ import annotations

from dataclasses import dataclass

from autan.errors import ConfigurationError


@dataclass(frozen=True, slots=True)
class Limits:
    """``None`` means unbounded. A run never goes past a bound by more than one model request."""

    max_steps: int | None = 10
    max_total_tokens: int | None = None
    max_wall_seconds: float | None = None
    max_tool_calls: int | None = None
    tool_retries: int = 2
    """How many failed tool calls in a row the model may make before the run stops."""

    def __post_init__(self) -> None:
        for name in ("max_steps", "max_total_tokens", "max_wall_seconds", "max_tool_calls"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ConfigurationError(f"limit {name} must not be negative, got {value}")
        if self.tool_retries < 0:
            raise ConfigurationError(f"tool_retries must not be negative, got {self.tool_retries}")
