"""What autan answers when a server asks the client something during a call.

Sampling: a completion from the agent's own model, bounded (at most 512 tokens, and what is left
of the run's limits: each request counts as a model request), each request and reply kept for
the journal. Elicitation: the answer a person gave (journaled by the run), else a pause of the
run (the server is told ``cancel`` and the call is made again once a person answers), else, when
no person can answer, ``decline``. Both read the ``CallRequests`` of the call they belong to.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from autan.messages import Message, ModelRequest
from autan.tools._server_requests import CallRequests, Question, Sample

if TYPE_CHECKING:
    from autan.models.base import Model

MAX_SAMPLING_TOKENS = 512
"""The most tokens one sampling request may generate, whatever the server asks for."""


def sampling_handler(model: Model, max_tokens: int = MAX_SAMPLING_TOKENS) -> Any:
    """A sampling callback answered by ``model``: the server's messages (text only) and system
    prompt, at most ``min(maxTokens, max_tokens)`` tokens, no tools; refused with the limit's
    error once the call's budget is spent."""

    async def sample(server: str, requests: CallRequests | None, params: Any) -> Any:
        from mcp import types

        request = _request(params, max_tokens)
        shown = _shown(request)
        allowance = requests.allowance if requests is not None else None
        refused = allowance.take() if allowance is not None else None
        again = requests.journaled(server, shown) if requests is not None else None
        if again is not None:
            return _answered_again(again, allowance, model.name)
        if refused is None:
            try:
                response = await asyncio.to_thread(model.complete, _capped(request, allowance))
            except Exception as error:
                refused = f"sampling failed: {error}"
        if refused is not None:
            _keep(requests, Sample(server, shown, "", refused=refused))
            return types.ErrorData(code=types.INVALID_REQUEST, message=refused)
        if allowance is not None:
            allowance.spend(response.usage)
        _keep(requests, Sample(server, shown, response.text, response.usage, response.cost_usd))
        return types.CreateMessageResult(
            role="assistant",
            content=types.TextContent(type="text", text=response.text),
            model=model.name,
            stop_reason="maxTokens" if response.finish_reason == "length" else "endTurn",
        )

    return sample


async def answer_elicitation(server: str, requests: CallRequests | None, params: Any) -> Any:
    """The journaled answer to this question; else pause the run (``cancel`` to the server)
    where a person may answer; else ``decline``. A URL-mode elicitation is declined."""
    from mcp import types

    schema = getattr(params, "requested_schema", None)
    if requests is None or not isinstance(schema, dict):
        return types.ElicitResult(action="decline")
    question = Question(server, str(params.message), schema)
    reply = requests.reply_to(question)
    if reply is not None:
        return types.ElicitResult(action=reply.action, content=reply.content)
    if not requests.may_ask:
        return types.ElicitResult(action="decline")
    if requests.question is None:
        requests.question = question
    return types.ElicitResult(action="cancel")


def _answered_again(sample: Sample, allowance: Any, model: str) -> Any:
    """A request an earlier attempt of the call journaled the answer to: that answer, counted
    against the call's budget as it was then, without asking the model again."""
    from mcp import types

    if allowance is not None:
        allowance.spend(sample.usage)
    if sample.refused:
        return types.ErrorData(code=types.INVALID_REQUEST, message=sample.refused)
    return types.CreateMessageResult(
        role="assistant",
        content=types.TextContent(type="text", text=sample.reply),
        model=model,
        stop_reason="endTurn",
    )


def _keep(requests: CallRequests | None, sample: Sample) -> None:
    if requests is not None:
        requests.keep(sample)


def _capped(request: ModelRequest, allowance: Any) -> ModelRequest:
    """At most the tokens left of the run's ``max_total_tokens``."""
    left = allowance.tokens_left() if allowance is not None else None
    if left is None or left >= request.max_tokens:
        return request
    from dataclasses import replace

    return replace(request, max_tokens=max(1, left))


def _shown(request: ModelRequest) -> tuple[str, ...]:
    return tuple(f"{m.role}: {m.content}" for m in request.messages)


def _request(params: Any, max_tokens: int) -> ModelRequest:
    messages = [Message("system", params.system_prompt)] if params.system_prompt else []
    for message in params.messages:
        blocks = message.content if isinstance(message.content, list) else [message.content]
        text = "\n".join(str(getattr(b, "text", "")) for b in blocks if getattr(b, "text", None))
        messages.append(Message("assistant" if message.role == "assistant" else "user", text))
    return ModelRequest(
        tuple(messages),
        max_tokens=max(1, min(int(params.max_tokens), max_tokens)),
        temperature=float(params.temperature or 0.0),
    )
