"""Models for the batched benchmark tests, importable by worker processes and Ray actors."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from autan.messages import ModelRequest, ModelResponse, ToolCall, Usage
from autan.models.base import Model


class DoublingModel(Model):
    """Answers "what is twice N?" through the calculator: ``N * 2``, then the number."""

    name = "doubling"

    def complete(self, request: ModelRequest) -> ModelResponse:
        number = re.findall(r"\d+", request.messages[1].content)[0]
        usage = Usage(100 + len(number), 10, 40)
        if request.messages[-1].role == "tool":
            return ModelResponse(f"The answer is {request.messages[-1].content}.", usage=usage)
        call = ToolCall("c1", "calculator", {"expression": f"{number} * 2"})
        return ModelResponse("", (call,), usage=usage)


@dataclass(frozen=True)
class MakeDoubling:
    """Makes a ``DoublingModel`` and writes the making process's id to ``pids`` (one line)."""

    pids: str

    def __call__(self) -> Model:
        with open(self.pids, "a", encoding="utf-8") as file:
            file.write(f"{os.getpid()}\n")
        return DoublingModel()
