"""What autan answers when a server asks the client something: sampling (a completion from the
agent's own model, bounded) and elicitation (declined: no person is at hand inside a call)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from autan.messages import Message, ModelRequest

if TYPE_CHECKING:
    from autan.models.base import Model

MAX_SAMPLING_TOKENS = 512
"""The most tokens one sampling request may generate, whatever the server asks for."""


def sampling_handler(model: Model, max_tokens: int = MAX_SAMPLING_TOKENS) -> Any:
    """A sampling callback answered by ``model``: the server's messages (text only) and system
    prompt, at most ``min(maxTokens, max_tokens)`` tokens, no tools."""

    async def sample(context: Any, params: Any) -> Any:
        from mcp import types

        request = _request(params, max_tokens)
        try:
            response = await asyncio.to_thread(model.complete, request)
        except Exception as error:
            return types.ErrorData(code=types.INTERNAL_ERROR, message=f"sampling failed: {error}")
        return types.CreateMessageResult(
            role="assistant",
            content=types.TextContent(type="text", text=response.text),
            model=model.name,
            stop_reason="maxTokens" if response.finish_reason == "length" else "endTurn",
        )

    return sample


async def decline_elicitation(context: Any, params: Any) -> Any:
    """Nobody can answer a form in the middle of a tool call here: decline it."""
    from mcp import types

    return types.ElicitResult(action="decline")


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
