"""``autan chat``'s answer as it streams: plain text as it comes; a JSON reply (the embedded
model's ``{"result": "…"}``) shows only its answer string."""

from __future__ import annotations

import json
import re
from typing import TextIO


class AnswerStream:
    """The answer as it streams, for ``autan chat``: plain text as it comes; a JSON reply
    (the embedded model's ``{"result": "…"}``) shows only its answer string, and a call shows
    nothing (its line comes with ``ToolCalled``)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self._buffer = ""
        self._shown = ""

    def write(self, piece: str) -> None:
        self._buffer += piece
        visible = _visible_answer(self._buffer)
        if visible.startswith(self._shown) and len(visible) > len(self._shown):
            print(visible[len(self._shown) :], end="", file=self.stream, flush=True)
            self._shown = visible

    def end(self, answer: str | None = None) -> None:
        """End the step; ``answer``: the final answer, printed whole if it did not stream."""
        if answer is not None and not self._shown.strip():
            print(answer, end="", file=self.stream)
            self._shown = answer
        if self._shown:
            print(file=self.stream, flush=True)
        self._buffer = self._shown = ""


_ANSWER_START = re.compile(r'^\s*\{\s*"result"\s*:\s*"')


def _visible_answer(text: str) -> str:
    if not text.lstrip().startswith("{"):
        return text
    start = _ANSWER_START.match(text)
    if start is None:
        return ""
    body = text[start.end() :]
    end = re.search(r'(?<!\\)(?:\\\\)*"', body)
    body = body[: end.end() - 1] if end else body
    for cut in range(len(body), max(len(body) - 6, 0) - 1, -1):
        try:
            return str(json.loads(f'"{body[:cut]}"'))
        except ValueError:
            continue
    return ""
