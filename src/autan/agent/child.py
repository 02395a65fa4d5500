"""Agents and cascades as tools: a call of a tool made by ``Agent.as_tool`` or
``Cascade.as_tool`` is a run of that agent (or cascade), a child of the run that made the call.

The child's run id is the call's idempotency key (``"<parent run>:<step>:<index>"``), so a
resumed parent finds its child in the store and resumes it (its completed steps replayed, not
repeated) instead of starting it again. The child runs with its own model, tools, instructions
and limits, shrunk to what the parent has left of its tokens and seconds; what it spent comes
back as the call's ``ChildRun`` and counts as the parent's. While it runs, its events come out
of the parent's stream as ``ChildEvent``s marked with its run id.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from autan.agent.drained import drained
from autan.errors import AwaitingApproval, CascadeFailed, ResumeNeedsDecision, RunError
from autan.events import ChildEvent, ChildRun, Event, FinalAnswer
from autan.loop.effects import CallTool, ToolOutcome
from autan.messages import Usage
from autan.result import RunResult
from autan.tools import Tool, has_side_effects, render_output, tool, trust_of

if TYPE_CHECKING:
    from autan.agent.member import CascadeMember, Member
    from autan.events import TierEnded
    from autan.store import Store

M = TypeVar("M", "Member", "CascadeMember")

KEEPS_WAITING = (ResumeNeedsDecision, AwaitingApproval)
"""A child that stops for a person stops its parent's call too: the parent's resume resumes
the child (after ``approve``/``deny`` of the child's run)."""


@dataclass(frozen=True, slots=True)
class ChildEnd:
    """How a child run ended: what it spent, its answer's text, or why it has none."""

    spent: ChildRun
    answer: str
    failure: str | None = None


class ChildCall:
    """The function of an ``as_tool`` tool. Called directly (outside a run), it runs the child
    on ``task`` and returns its answer's text; in a run, ``events`` runs it as a child run."""

    name: str
    """Who the child is, in its ``ChildEvent``s: the agent's name, or the cascade's tool's."""

    def __call__(self, task: str) -> str:
        raise NotImplementedError

    def perform(self, effect: CallTool, store: Store | None) -> ToolOutcome:
        """Run (or resume) the child run of ``effect``: ``store`` is the parent's."""
        return drained(self.events(effect, store, False))

    def events(
        self, effect: CallTool, store: Store | None, stream_text: bool
    ) -> Generator[ChildEvent, None, ToolOutcome]:
        """``perform``, yielding the child's events as they happen (its text deltas too when
        ``stream_text``), each marked with the child's run id."""
        spent = effect.budget.spent
        if spent is not None:
            return ToolOutcome(f"error: not started: the run's {spent} is spent", True, 0.0)
        started = time.perf_counter()
        running = self._run(effect, store, stream_text)
        ended = yield from _marked(running, effect.key, self.name)
        seconds = time.perf_counter() - started
        if ended.failure is not None:
            failure = f"error: {self.name} did not answer: {ended.failure}"
            return ToolOutcome(failure, True, seconds, ended.spent)
        return ToolOutcome(render_output(ended.answer), False, seconds, ended.spent)

    def _run(
        self, effect: CallTool, store: Store | None, stream_text: bool
    ) -> Generator[Event, None, ChildEnd]:
        raise NotImplementedError


class AgentCall(ChildCall):
    """A call of ``Agent.as_tool``'s tool: a run of ``agent``."""

    def __init__(self, agent: Member) -> None:
        self.agent = agent
        self.name = agent.name

    def __call__(self, task: str) -> str:
        return answer_text(self.agent.run(task))

    def _run(
        self, effect: CallTool, store: Store | None, stream_text: bool
    ) -> Generator[Event, None, ChildEnd]:
        child = self._child(effect, store or self.agent.store)
        task = str(effect.arguments["task"])
        try:
            result = yield from child._child_events(task, effect.key or None, stream_text)
        except KEEPS_WAITING:
            raise
        except RunError as failure:
            return ChildEnd(child_run(failure.result, child.name, answered=False), "", str(failure))
        return ChildEnd(child_run(result, child.name, answered=True), answer_text(result))

    def _child(self, effect: CallTool, store: Store | None) -> Member:
        """The agent as this call runs it, within the parent's budget."""
        child = _linked(self.agent, effect, store)
        child.limits = effect.budget.bound(self.agent.limits)
        return child


class CascadeCall(ChildCall):
    """A call of ``Cascade.as_tool``'s tool: a run of ``cascade``, each of its tiers within
    what the parent has left once the tiers before it spent theirs."""

    def __init__(self, cascade: CascadeMember, name: str) -> None:
        self.cascade = cascade
        self.name = name

    def __call__(self, task: str) -> str:
        return answer_text(self.cascade.run(task).result)

    def _run(
        self, effect: CallTool, store: Store | None, stream_text: bool
    ) -> Generator[Event, None, ChildEnd]:
        child = _linked(self.cascade, effect, store or self.cascade.store)
        child.budget = effect.budget
        task = str(effect.arguments["task"])
        try:
            done = yield from child._child_events(task, effect.key or None, stream_text)
        except KEEPS_WAITING:
            raise
        except CascadeFailed as failure:
            return ChildEnd(self._spent(effect.key, failure.tiers, False), "", str(failure))
        except RunError as failure:  # a verifier that raised: the cascade did not decide
            return ChildEnd(child_run(failure.result, self.name, answered=False), "", str(failure))
        return ChildEnd(self._spent(done.run_id, done.tiers, True), answer_text(done.result))

    def _spent(self, run_id: str, tiers: tuple[TierEnded, ...], answered: bool) -> ChildRun:
        usage = sum((tier.usage for tier in tiers), Usage())
        cost = sum(tier.cost_usd for tier in tiers)
        calls = sum(tier.model_calls for tier in tiers)
        return ChildRun(run_id, self.name, usage, cost, calls, answered)


def child_tool(call: ChildCall, name: str, description: str, tools: tuple[Tool, ...]) -> Tool:
    """The tool of an ``as_tool``: one argument, the task; trusted when every tool of the
    child is, with side effects when one of them has them."""

    def delegate(task: str) -> str:
        """Args:
        task: what to ask, in full: the other agent sees nothing else of this conversation.
        """
        return task

    made = tool(name=name, description=description, idempotent=True)(delegate)
    trusted = all(trust_of(t) == "trusted" for t in tools)
    return Tool(
        made.name,
        made.description,
        made.parameters,
        call,
        arguments_model=made.arguments_model,
        idempotent=True,  # the child's journal: a second call resumes, never repeats
        source=f"agent:{call.name}",
        trust="trusted" if trusted else "untrusted",
        side_effects=any(has_side_effects(t) for t in tools),
    )


def agent_tool(agent: Member, name: str | None, description: str | None) -> Tool:
    """The tool ``Agent.as_tool`` makes."""
    about = description or agent.description or f"Ask the {agent.name} agent."
    return child_tool(AgentCall(agent), name or agent.name, about, agent.tools)


def child_run(result: RunResult[Any], agent: str, answered: bool) -> ChildRun:
    """What a child run spent, its own children included."""
    calls = result.model_calls + sum(c.model_calls for c in result.child_runs)
    return ChildRun(result.run_id or "", agent, result.usage, result.cost_usd, calls, answered)


def answer_text(result: RunResult[Any]) -> str:
    """The answer as the journal holds it: a typed answer's JSON text."""
    for event in reversed(result.events):
        if isinstance(event, FinalAnswer):
            return event.output
    return str(result.output)


def _marked(
    running: Generator[Event, None, ChildEnd], run_id: str, name: str
) -> Generator[ChildEvent, None, ChildEnd]:
    """The child's events, each as a ``ChildEvent`` of run ``run_id``; closing this closes
    the child's run (it gives its lease back)."""
    try:
        while True:
            try:
                event = next(running)
            except StopIteration as stop:
                ended: ChildEnd = stop.value
                return ended
            yield ChildEvent(run_id, name, event)
    finally:
        running.close()


def _linked(member: M, effect: CallTool, store: Store | None) -> M:
    """``member`` (an agent or a cascade) as ``effect``'s call runs it: a copy, journaling to
    ``store`` (the parent's), its runs linked to the parent's run, step and call."""
    from autan.store import PARENT_KEY

    child = copy.copy(member)
    child.store = store
    child.metadata = {**member.metadata, PARENT_KEY: _link(effect)}
    return child


def _link(effect: CallTool) -> dict[str, Any]:
    """The parent's run, step and call, from the call's key ``"<run>:<step>:<index>"``."""
    parts = effect.key.rsplit(":", 2)
    parent, step = (parts[0], int(parts[1])) if len(parts) == 3 else ("", 0)
    return {"run_id": parent, "step": step, "call_id": effect.call_id}
