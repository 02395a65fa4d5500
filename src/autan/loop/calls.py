"""One call on the path every call takes, from the model or from code: journaled, checked
(known tool, valid arguments, not a repeat, within limits, approved) and, when allowed, run."""

from __future__ import annotations

from collections.abc import Generator
from typing import cast

from autan.events import (
    ApprovalDecided,
    ApprovalRequested,
    Event,
    PolicyApplied,
    ToolCalled,
    ToolResulted,
    ToolStarted,
)
from autan.loop.config import LoopConfig
from autan.loop.effects import AwaitApproval, CallTool, Decision, Effect, ToolOutcome
from autan.loop.server_requests import settled
from autan.loop.state import LoopState, Transfer, budget_left, call_key, limit, record
from autan.loop.trust import Untrusted, Verdict, judge
from autan.messages import INVALID_CALL, Message, ToolCall
from autan.tools import Tool, ToolArgumentsError, trust_of


def perform_call(
    state: LoopState, config: LoopConfig, tools: dict[str, Tool], call: ToolCall, index: int
) -> Generator[Event | Effect, object, ToolOutcome]:
    """One call on its own; its outcome is remembered for a repeat of the same call."""
    yield record(state, ToolCalled(state.steps, call))
    key = call_id_key(config, state, index)
    checked = yield from check_call(state, config, tools, call, key)
    if isinstance(checked, CallTool):
        yield record(state, ToolStarted(state.steps, call.id, call.name, key))
        outcome = yield from settled(
            state, config, call, checked, cast(ToolOutcome, (yield checked))
        )
        checked = remember(state, call, outcome)
    return checked


def call_id_key(config: LoopConfig, state: LoopState, index: int) -> str:
    """A call's idempotency key: ``"<run_id>:<step>:<index>"``."""
    return f"{config.run_id}:{state.steps}:{index}"


def check_call(
    state: LoopState, config: LoopConfig, tools: dict[str, Tool], call: ToolCall, key: str
) -> Generator[Event | Effect, object, ToolOutcome | CallTool]:
    """The call to run, or the observation that answers it without running anything."""
    tool = tools.get(call.name)
    if tool is None:
        valid = ", ".join(tools) or "none"
        problem = call.arguments.get("problem") if call.name == INVALID_CALL else None
        what = problem or f"unknown tool {call.name!r}"
        return ToolOutcome(f"error: {what}; valid tools: {valid}", True, 0.0)
    try:
        arguments = tool.validate(call.arguments)
    except ToolArgumentsError as error:
        return ToolOutcome(f"error: {error}", True, 0.0)
    if call.name in config.handoffs:
        return transfer(state, config.handoffs[call.name], call)
    known = call_key(call)
    if known in state.known_results:
        # A repeat of a call whose result is known: small models loop here instead of answering.
        state.next_choice = "none"
        return ToolOutcome(state.known_results[known], False, 0.0)
    limits = config.limits
    if limits.max_tool_calls is not None and state.tool_calls >= limits.max_tool_calls:
        raise limit(state, "max_tool_calls", limits.max_tool_calls)
    verdict = yield from _policy(state, config, tool, call, arguments)
    if verdict.action == "refuse":
        return ToolOutcome(
            f"error: the trust policy refused this call: {verdict.reason}", True, 0.0
        )
    if tool.needs_approval or verdict.action == "approve":
        denied = yield from _approval(state, call, key, verdict)
        if denied is not None:
            return denied
    state.tool_calls += 1
    # A code block cannot wait for a person: its sandbox would be gone when the run resumes.
    may_ask = config.may_ask and config.actions != "code"
    return CallTool(
        tool,
        arguments,
        key,
        call.id,
        budget_left(state, limits),
        may_ask=may_ask,
        step=state.steps,
    )


def transfer(state: LoopState, agent: str, call: ToolCall) -> ToolOutcome:
    """A handoff tool's call runs nothing: the step's end hands the conversation over."""
    if state.handoff is not None:
        taken = state.handoff.agent
        return ToolOutcome(f"error: this step already transfers to {taken}", True, 0.0)
    state.handoff = Transfer(call.id, agent)
    return ToolOutcome(f"transferred to {agent}", False, 0.0)


def remember(state: LoopState, call: ToolCall, outcome: ToolOutcome) -> ToolOutcome:
    if not outcome.is_error:
        state.known_results[call_key(call)] = outcome.output
    return outcome


def answer(
    state: LoopState, tools: dict[str, Tool], call: ToolCall, outcome: ToolOutcome
) -> Generator[Event, object, None]:
    """Journal the call's result and show it to the model, marked with its provenance."""
    event = result_event(state, tools, call, outcome)
    yield record(state, event)
    state.messages.append(
        Message(
            "tool",
            outcome.output,
            tool_call_id=call.id,
            name=call.name,
            source=event.source,
            trusted=event.trusted,
        )
    )


def result_event(
    state: LoopState, tools: dict[str, Tool], call: ToolCall, outcome: ToolOutcome
) -> ToolResulted:
    """The result's event; an untrusted tool's output is remembered for the trust policy,
    a child run's spending counted as the run's."""
    tool = tools.get(call.name)
    source = tool.source if tool is not None else "autan"
    trusted = tool is None or trust_of(tool) == "trusted"
    if not trusted:
        state.untrusted.append(Untrusted(source, outcome.output))
    if outcome.child is not None:
        state.usage = state.usage + outcome.child.usage
    return ToolResulted(
        state.steps,
        call.id,
        call.name,
        outcome.output,
        outcome.is_error,
        outcome.seconds,
        source=source,
        trusted=trusted,
        child=outcome.child,
    )


def _policy(
    state: LoopState,
    config: LoopConfig,
    tool: Tool,
    call: ToolCall,
    arguments: dict[str, object],
) -> Generator[Event, object, Verdict]:
    """The trust policy's verdict on the call, journaled with its reason when it stops it."""
    task, trusted = trusted_text(state.messages)
    verdict = judge(config.trust, tool, arguments, state.untrusted, task, trusted)
    if verdict.action != "allow":
        applied = PolicyApplied(
            state.steps, call.id, call.name, verdict.action, verdict.reason, verdict.copied
        )
        yield record(state, applied)
    return verdict


def trusted_text(messages: list[Message]) -> tuple[str, str]:
    """The user's messages, and those with the trusted results, for the ``scoped`` policy."""
    task = [m.content for m in messages if m.role == "user"]
    results = [m.content for m in messages if m.role == "tool" and m.trusted]
    return "\n".join(task), "\n".join(task + results)


def _approval(
    state: LoopState, call: ToolCall, key: str, verdict: Verdict
) -> Generator[Event | Effect, object, ToolOutcome | None]:
    """Wait for a person's decision: ``None`` to run the call, or the observation of a denial."""
    reason, copied = verdict.reason, verdict.copied
    yield record(state, ApprovalRequested(state.steps, call.id, call.name, key, reason, copied))
    decision = cast(Decision, (yield AwaitApproval(state.steps, call, key, reason, copied)))
    yield record(state, ApprovalDecided(state.steps, call.id, decision.approved, decision.reason))
    if decision.approved:
        return None
    why = f": {decision.reason}" if decision.reason else ""
    return ToolOutcome(f"error: a person denied this call{why}", True, 0.0)
