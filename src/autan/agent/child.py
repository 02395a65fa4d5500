"""Agents as tools: a call of a tool made by ``Agent.as_tool`` is a run of that agent, a child
of the run that made the call.

The child's run id is the call's idempotency key (``"<parent run>:<step>:<index>"``), so a
resumed parent finds its child in the store and resumes it (its completed steps replayed, not
repeated) instead of starting it again. The child runs with its own model, tools, instructions
and limits, shrunk to what the parent has left of its tokens and seconds; what it spent comes
back as the call's ``ChildRun`` and counts as the parent's.
"""

from __future__ import annotations

import copy
import time
from typing import TYPE_CHECKING, Any

from autan.errors import AwaitingApproval, ConfigurationError, ResumeNeedsDecision, RunError
from autan.events import ChildRun, FinalAnswer
from autan.loop.effects import CallTool, ToolOutcome
from autan.result import RunResult
from autan.tools import Tool, has_side_effects, render_output, tool, trust_of

if TYPE_CHECKING:
    from autan.agent.member import Member
    from autan.store import Store

KEEPS_WAITING = (ResumeNeedsDecision, AwaitingApproval)
"""A child that stops for a person stops its parent's call too: the parent's resume resumes
the child (after ``approve``/``deny`` of the child's run)."""


class AgentCall:
    """The function of an ``Agent.as_tool`` tool. Called directly (outside a run), it runs the
    agent on ``task`` and returns its answer's text."""

    def __init__(self, agent: Member) -> None:
        self.agent = agent

    def __call__(self, task: str) -> str:
        return answer_text(self.agent.run(task))

    def perform(self, effect: CallTool, store: Store | None) -> ToolOutcome:
        """Run (or resume) the child run of ``effect``: ``store`` is the parent's."""
        spent = effect.budget.spent
        if spent is not None:
            return ToolOutcome(f"error: not started: the run's {spent} is spent", True, 0.0)
        started = time.perf_counter()
        child = self._child(effect, store or self.agent.store)
        run_id = effect.key or None
        try:
            result = _run_or_resume(child, str(effect.arguments["task"]), run_id)
        except KEEPS_WAITING:
            raise
        except RunError as failure:
            seconds = time.perf_counter() - started
            summary = child_run(failure.result, child.name, answered=False)
            return ToolOutcome(
                f"error: {child.name} did not answer: {failure}", True, seconds, summary
            )
        seconds = time.perf_counter() - started
        summary = child_run(result, child.name, answered=True)
        return ToolOutcome(render_output(answer_text(result)), False, seconds, summary)

    def _child(self, effect: CallTool, store: Store | None) -> Member:
        """The agent as this call runs it (a copy): in the parent's store, linked to the
        parent's step, within the parent's budget."""
        from autan.store._lineage import PARENT_KEY

        child = copy.copy(self.agent)
        child.store = store
        child.limits = effect.budget.bound(self.agent.limits)
        child.metadata = {**self.agent.metadata, PARENT_KEY: _link(effect)}
        return child


def agent_tool(agent: Member, name: str | None, description: str | None) -> Tool:
    """The tool ``Agent.as_tool`` makes: one argument, the task; trusted when every tool of the
    agent is, with side effects when one of them has them."""

    def delegate(task: str) -> str:
        """Args:
        task: what to ask, in full: the other agent sees nothing else of this conversation.
        """
        return task

    about = description or agent.description or f"Ask the {agent.name} agent."
    made = tool(name=name or agent.name, description=about, idempotent=True)(delegate)
    trusted = all(trust_of(t) == "trusted" for t in agent.tools)
    return Tool(
        made.name,
        made.description,
        made.parameters,
        AgentCall(agent),
        arguments_model=made.arguments_model,
        idempotent=True,  # the child's journal: a second call resumes, never repeats
        source=f"agent:{agent.name}",
        trust="trusted" if trusted else "untrusted",
        side_effects=any(has_side_effects(t) for t in agent.tools),
    )


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


def _link(effect: CallTool) -> dict[str, Any]:
    """The parent's run, step and call, from the call's key ``"<run>:<step>:<index>"``."""
    parts = effect.key.rsplit(":", 2)
    parent, step = (parts[0], int(parts[1])) if len(parts) == 3 else ("", 0)
    return {"run_id": parent, "step": step, "call_id": effect.call_id}


def _run_or_resume(agent: Member, task: str, run_id: str | None) -> RunResult[Any]:
    if agent.store is not None and run_id is not None and _journaled(agent.store, run_id):
        return agent.resume(run_id)
    return agent.run(task, run_id=run_id)


def _journaled(store: Store, run_id: str) -> bool:
    try:
        store.info(run_id)
    except ConfigurationError:
        return False
    return True
