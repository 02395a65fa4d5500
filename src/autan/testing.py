"""``ScriptedModel``: a model that plays back scripted turns, for tests (yours and ours)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, cast

from autan.errors import ModelError
from autan.messages import ModelRequest, ModelResponse, ToolCall, Usage
from autan.models.base import Model

ScriptedCall = tuple[str, dict[str, Any]]
Turn = str | ScriptedCall | Sequence[ScriptedCall]
"""A final answer, one tool call ``(name, arguments)``, or a list of calls made in one step."""


class ScriptedModel(Model):
    """Answers each request with the next scripted turn and records the requests it received.

    >>> model = ScriptedModel([("calculator", {"expression": "2+2"}), "4"])

    By default turn *n* answers the *n*-th request this model receives. With ``by_step=True``
    it answers the request of step *n* of a run (counted from the assistant turns in the
    request), so a run resumed in a new process gets the turns of the steps still to come.
    """

    name = "scripted"

    def __init__(
        self, turns: Iterable[Turn], usage: Usage | None = None, *, by_step: bool = False
    ) -> None:
        self.turns = list(turns)
        self.requests: list[ModelRequest] = []
        self.usage = usage or Usage(prompt_tokens=10, completion_tokens=5)
        self.by_step = by_step

    def complete(self, request: ModelRequest) -> ModelResponse:
        self.requests.append(request)
        index = len(self.requests) - 1
        if self.by_step:
            index = request.step - 1
        if index >= len(self.turns):
            raise ModelError(
                f"ScriptedModel has no turn {index + 1} (script has {len(self.turns)})"
            )
        return self._response(self.turns[index], index)

    def stream(self, request: ModelRequest) -> Iterator[str | ModelResponse]:
        response = self.complete(request)
        yield from re.findall(r"\S+\s*|\s+", response.text)
        yield response

    def _response(self, turn: Turn, index: int) -> ModelResponse:
        if isinstance(turn, str):
            return ModelResponse(text=turn, usage=self.usage, model=self.name)
        calls = cast(Sequence[ScriptedCall], [turn] if isinstance(turn[0], str) else turn)
        tool_calls = tuple(
            ToolCall(f"call_{index + 1}_{n}", name, dict(arguments))
            for n, (name, arguments) in enumerate(calls)
        )
        return ModelResponse(tool_calls=tool_calls, usage=self.usage, model=self.name)
