"""The OpenAI-compatible facade: ``POST /v1/chat/completions`` (streaming and not) where the
"model" names an agent, so any OpenAI client or UI can talk to an autan agent.

Each request is one journaled run (visible in ``/v1/runs`` and the page). The last user
message is the task. A request that goes on from an earlier one (its messages, then that
one's answer) continues that run's conversation: the model reads the earlier turns as they
were (``_chat_turns.py``); other earlier messages are written out in the task's text as
context. A stream sends the answer once the run journals it, not token by token.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

import anyio.to_thread
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from sse_starlette import EventSourceResponse

from autan.errors import ConfigurationError
from autan.events import ApprovalRequested, Event, FinalAnswer, RunFailed
from autan.result import RunResult
from autan.serve._auth import bearer
from autan.serve._chat_schemas import (
    ChatCompletion,
    ChatErrorOut,
    ChatMessage,
    ChatRequest,
    ModelCard,
    ModelList,
)
from autan.serve._chat_turns import CHAT_KEY, continued_run, turn_of
from autan.serve._runs import Runs
from autan.serve._schemas import ErrorOut
from autan.serve._source import RunSpec
from autan.serve._stream import follow

DEFAULT_AGENT = "autan"
LIMIT_ERRORS = ("LimitExceeded",)


def chat_router(token: str | None) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["openai"], dependencies=[Depends(bearer(token))])
    router.add_api_route(
        "/chat/completions",
        completions,
        methods=["POST"],
        responses={
            200: {
                "model": ChatCompletion,
                "content": {"text/event-stream": {}},
                "description": "the completion; with stream, chat.completion.chunk events",
            },
            502: {"model": ChatErrorOut, "description": "the run failed"},
            **{code: {"model": ErrorOut} for code in (401, 413, 422, 429)},
        },
    )
    router.add_api_route("/models", models, methods=["GET"])
    return router


def models() -> ModelList:
    """The agents a client may name: the server's default (any model spec names one too)."""
    return ModelList(data=[ModelCard(id=DEFAULT_AGENT)])


@dataclass(frozen=True, slots=True)
class _Reply:
    run_id: str
    model: str
    created: int

    @property
    def id(self) -> str:
        return f"chatcmpl-{self.run_id}"


async def completions(request: Request, body: ChatRequest) -> Response:
    """Run the agent named by ``model`` on the conversation's last user message."""
    runs: Runs = request.app.state.runs
    run_id = await anyio.to_thread.run_sync(start_turn, runs, body)
    reply = _Reply(run_id, body.model, int(time.time()))
    headers = {"X-Autan-Run": run_id}
    if body.stream:
        usage = body.stream_options is not None and body.stream_options.include_usage
        return EventSourceResponse(_chunks(runs, reply, usage), headers=headers, ping=15)
    events = await _until_it_stops(runs, run_id)
    failure = _failure(events)
    if failure is not None:
        return JSONResponse({"error": failure}, status_code=502, headers=headers)
    content, finish = _ending(events)
    completion = {
        "id": reply.id,
        "object": "chat.completion",
        "created": reply.created,
        "model": reply.model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": finish,
            }
        ],
        "usage": _usage(events),
    }
    return JSONResponse(completion, headers=headers)


def start_turn(runs: Runs, body: ChatRequest) -> str:
    """Start the run of the request's turn: a follow-up of the run it continues, where the
    journal has it and the agent is still that run's, else a run on its own."""
    turn = turn_of(body.messages, body.model)
    if turn is None:
        raise HTTPException(422, "the messages have no user message with text")
    model = None if body.model == DEFAULT_AGENT else body.model
    labels = {CHAT_KEY: turn.key}
    after = continued_run(runs.store, turn)
    if after is not None:
        try:
            return runs.start(RunSpec(turn.task, model, after=after), labels)
        except ConfigurationError:
            pass  # another agent made that run (the server's tools changed): start afresh
    return runs.start(RunSpec(task_of(body.messages), model), labels)


def task_of(messages: Sequence[ChatMessage]) -> str:
    """The last user message with text; the messages before it as context, one
    ``role: text`` a line."""
    asked = [n for n, m in enumerate(messages) if m.role == "user" and m.text().strip()]
    if not asked:
        raise HTTPException(422, "the messages have no user message with text")
    last = asked[-1]
    task = messages[last].text()
    earlier = [f"{m.role}: {m.text()}" for m in messages[:last] if m.text().strip()]
    if not earlier:
        return task
    return "Earlier in this conversation:\n" + "\n".join(earlier) + "\n\nNow: " + task


async def _until_it_stops(runs: Runs, run_id: str) -> list[Event]:
    """The run's journal once it answered, failed or paused for an approval."""
    events: list[Event] = []
    async for _, event in follow(runs.tails, run_id, -1):
        events.append(event)
        if isinstance(event, ApprovalRequested):
            break
    return events


def _ending(events: Sequence[Event]) -> tuple[str | None, str]:
    last = events[-1]
    if isinstance(last, FinalAnswer):
        return last.output, "stop"
    if isinstance(last, ApprovalRequested):
        return (
            f"The run waits for approval of a {last.name} call: approve or deny it (POST "
            "/v1/runs/ID/approve or deny, the ID is in the X-Autan-Run header, or on the page); "
            "the answer is then in GET /v1/runs/ID.",
            "stop",
        )
    return None, "length"  # a limit was reached


def _failure(events: Sequence[Event]) -> dict[str, str] | None:
    last = events[-1]
    if isinstance(last, RunFailed) and last.error not in LIMIT_ERRORS:
        return {
            "message": f"{last.error}: {last.message}",
            "type": "run_failed",
            "code": last.error,
        }
    return None


def _usage(events: Sequence[Event]) -> dict[str, int]:
    usage = RunResult(None, tuple(events), 0.0).usage
    return {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens,
    }


async def _chunks(runs: Runs, reply: _Reply, include_usage: bool) -> AsyncIterator[str]:
    yield _chunk(reply, {"role": "assistant", "content": ""})
    events = await _until_it_stops(runs, reply.run_id)
    failure = _failure(events)
    if failure is not None:
        yield json.dumps({"error": failure})
    else:
        content, finish = _ending(events)
        if content:
            yield _chunk(reply, {"content": content})
        yield _chunk(reply, {}, finish)
        if include_usage:
            yield json.dumps({**_head(reply), "choices": [], "usage": _usage(events)})
    yield "[DONE]"


def _head(reply: _Reply) -> dict[str, Any]:
    return {
        "id": reply.id,
        "object": "chat.completion.chunk",
        "created": reply.created,
        "model": reply.model,
    }


def _chunk(reply: _Reply, delta: dict[str, str], finish: str | None = None) -> str:
    choice = {"index": 0, "delta": delta, "finish_reason": finish}
    return json.dumps({**_head(reply), "choices": [choice]})
