"""A run paused before a ``needs_approval`` call, or at a question a tool's server asked: the
error the driver throws into the loop when no decision or answer is journaled yet (decisions:
``autan.store.decide``; answers: ``autan.store.answer``)."""

from __future__ import annotations

from autan.errors import AwaitingAnswer, AwaitingApproval
from autan.loop.effects import AwaitAnswer, AwaitApproval
from autan.result import RunResult


def pause(effect: AwaitApproval) -> AwaitingApproval:
    call = effect.call
    return AwaitingApproval(
        f"{call.name} needs a person's approval; approve or deny it, then resume the run",
        RunResult(None, (), 0.0),
        call,
        effect.key,
    )


def pause_for_answer(effect: AwaitAnswer) -> AwaitingAnswer:
    question = effect.question
    return AwaitingAnswer(
        f"MCP server {question.server!r} asks a person during {effect.call.name}: "
        f"{question.message}; answer it, then resume the run",
        RunResult(None, (), 0.0),
        effect.call,
        effect.key,
        question,
    )
