"""The outcome of a run: the answer and the numbers, all derived from its events."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic

from typing_extensions import TypeVar

from autan.events import (
    ChildRun,
    Event,
    HandedOff,
    ModelResponded,
    RunStarted,
    ServerSampled,
    ToolResulted,
)
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
    turns: tuple[int, ...] = ()
    """Where each turn of ``messages`` begins: the index of the task message of each run of
    the conversation, this run's last. A turn's other user messages (an "Invalid answer"
    feedback, a code block's output) begin none."""

    @property
    def usage(self) -> Usage:
        """Tokens of the run's model calls, of the sampling requests of its tools' servers, and
        of its child runs (``Agent.as_tool``)."""
        total = Usage()
        for event in self.events:
            if isinstance(event, ModelResponded | ServerSampled):
                total = total + event.usage
        for child in self.child_runs:
            total = total + child.usage
        return total

    @property
    def cost_usd(self) -> float:
        """USD spent on model calls, servers' sampling requests and child runs (0 for local
        models and models without a known price)."""
        spent = (ModelResponded, ServerSampled)
        own = sum(e.cost_usd for e in self.events if isinstance(e, spent))
        return own + sum(child.cost_usd for child in self.child_runs)

    @property
    def child_runs(self) -> tuple[ChildRun, ...]:
        """The runs of other agents that this run's calls were (``Agent.as_tool``), in order."""
        return tuple(
            e.child for e in self.events if isinstance(e, ToolResulted) and e.child is not None
        )

    @property
    def agent(self) -> str:
        """The name of the agent that answered (or would have): the last one handed to
        (``Agent(handoffs=...)``), else the one that started the run."""
        for event in reversed(self.events):
            if isinstance(event, HandedOff):
                return event.to_agent
            if isinstance(event, RunStarted):
                return event.agent
        return ""

    @property
    def model_calls(self) -> int:
        """This run's own model calls (its child runs' are in ``child_runs``)."""
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
