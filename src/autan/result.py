"""The outcome of a run: the answer and the numbers, all derived from its events."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic

from typing_extensions import TypeVar

from autan.events import Event, ModelResponded, ServerSampled, ToolResulted
from autan.messages import Message, Usage

OutputT = TypeVar("OutputT", default=str)


@dataclass(frozen=True, slots=True)
class RunResult(Generic[OutputT]):
    """``output`` is the final answer, or ``None`` when the run ended without one: a ``str``,
    or with ``Agent(output_type=T)`` a ``T`` (validated; the journal holds its JSON text).

    ``seconds`` is the time of this call; a resumed run counts only the time since it resumed.
    """

    output: OutputT | None
    events: tuple[Event, ...]
    seconds: float
    run_id: str | None = None
    """The run's id: the key of its journal when the agent has a store."""
    messages: tuple[Message, ...] = ()
    """The conversation as the model read it, the answer last: what a follow-up
    (``Agent.run(..., after=result)``) continues. Empty for a run that has not ended."""

    @property
    def usage(self) -> Usage:
        """Tokens of the run's model calls, and of the sampling requests of its tools' servers."""
        total = Usage()
        for event in self.events:
            if isinstance(event, ModelResponded | ServerSampled):
                total = total + event.usage
        return total

    @property
    def cost_usd(self) -> float:
        """USD spent on model calls and servers' sampling requests (0 for local models and
        models without a known price)."""
        spent = (ModelResponded, ServerSampled)
        return sum(e.cost_usd for e in self.events if isinstance(e, spent))

    @property
    def model_calls(self) -> int:
        return sum(isinstance(event, ModelResponded) for event in self.events)

    @property
    def tool_calls(self) -> int:
        return sum(isinstance(event, ToolResulted) for event in self.events)

    @property
    def steps(self) -> int:
        return self.model_calls

    def step_usage(self) -> list[Usage]:
        """Usage of each model call, in order (for per-step cache reporting)."""
        return [event.usage for event in self.events if isinstance(event, ModelResponded)]
