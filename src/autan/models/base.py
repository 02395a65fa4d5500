"""The one model interface every backend implements."""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Iterator

from autan.messages import ModelRequest, ModelResponse


class Model(ABC):
    """A backend: ``complete`` one request. Streaming and async have working defaults."""

    name: str = "model"

    @abstractmethod
    def complete(self, request: ModelRequest) -> ModelResponse:
        """Produce one response: a final text, tool calls, or both."""

    def context_window(self) -> int | None:
        """How many tokens a request (prompt and reply) may hold; ``None``: unknown."""
        return None

    def count_tokens(self, text: str) -> int:
        """About how many tokens ``text`` is; backends with a tokenizer count exactly."""
        return (len(text) + 3) // 4

    def stream(self, request: ModelRequest) -> Iterator[str | ModelResponse]:
        """Yield text pieces as they are generated, then the complete response last."""
        yield self.complete(request)

    def render_prompt(self, request: ModelRequest) -> str:
        """What this backend would send for ``request``, as text (``autan runs show
        --prompts``). Backends give their exact form; this default lists the messages."""
        messages = [{"role": m.role, "content": m.content} for m in request.messages]
        return json.dumps({"messages": messages}, ensure_ascii=False, indent=2)

    async def acomplete(self, request: ModelRequest) -> ModelResponse:
        """Async ``complete``; backends without native async run ``complete`` in a thread."""
        import asyncio  # loaded where used: the sync path is the common one

        return await asyncio.to_thread(self.complete, request)

    async def astream(self, request: ModelRequest) -> AsyncIterator[str | ModelResponse]:
        """Async ``stream``: the same pieces. A backend that streams only synchronously has its
        ``stream`` run in a thread; one that does not stream at all gives ``acomplete``."""
        if type(self).stream is Model.stream:
            yield await self.acomplete(request)
            return
        from autan.models._thread_stream import stream_in_thread

        async for piece in stream_in_thread(self.stream(request)):
            yield piece
