"""``Agent``: configuration, and three ways to run it (sync, async, streaming) over one loop."""

from __future__ import annotations

from collections.abc import AsyncIterator, Generator, Iterable, Iterator
from typing import cast

from autan._execute import aexecute_tool, execute_tool
from autan.errors import AutanError, ConfigurationError, ModelError
from autan.events import Event, TextDelta
from autan.limits import Limits
from autan.loop import CallModel, CallTool, LoopConfig, LoopStep, Outcome, run_loop
from autan.messages import ModelResponse
from autan.models.base import Model
from autan.result import RunResult
from autan.tools import Tool

DEFAULT_INSTRUCTIONS = "You are a helpful agent. Use a tool when it helps, then answer briefly."


class Agent:
    """A model, tools, instructions and limits. Running it does not change it."""

    def __init__(
        self,
        model: Model | str = "local",
        tools: Iterable[Tool] = (),
        instructions: str = DEFAULT_INSTRUCTIONS,
        limits: Limits | None = None,
    ) -> None:
        if isinstance(model, str):
            from autan.models import load_model

            model = load_model(model)
        self.model = model
        self.tools = tuple(tools)
        self.instructions = instructions
        self.limits = limits or Limits()
        _check_unique_names(self.tools)

    def run(self, task: str) -> RunResult:
        """Run ``task`` to its answer. Raises a ``RunError`` (with ``.result``) if it has none."""
        outcome = yield_outcome(self._drive(task, stream_text=False))
        return _result_or_raise(outcome)

    async def arun(self, task: str) -> RunResult:
        """``run``, without blocking the event loop."""
        holder: list[Outcome] = []
        async for _ in self._adrive(task, holder):
            pass
        return _result_or_raise(holder[0])

    def stream(self, task: str) -> Iterator[Event]:
        """Yield events as they happen, text deltas included; ends after the answer or the error."""
        yield from self._drive(task, stream_text=True)

    async def astream(self, task: str) -> AsyncIterator[Event]:
        """``stream``, async."""
        async for event in self._adrive(task, []):
            yield event

    def _config(self) -> LoopConfig:
        return LoopConfig(self.model.name, self.tools, self.instructions, self.limits)

    def _drive(self, task: str, stream_text: bool) -> Generator[Event, None, Outcome]:
        loop = run_loop(_checked(task), self._config())
        item = next(loop)
        while True:
            if isinstance(item, Event):
                yield item
                sent: object = None
            elif isinstance(item, CallTool):
                sent = execute_tool(item)
            else:
                try:
                    if stream_text:
                        sent = yield from self._streamed_call(item)
                    else:
                        sent = self.model.complete(item.request)
                except AutanError as error:
                    item = _throw(loop, error)
                    continue
                except Exception as error:
                    item = _throw(loop, ModelError(f"{type(error).__name__}: {error}"))
                    continue
            try:
                item = loop.send(sent)
            except StopIteration as stop:
                return cast(Outcome, stop.value)

    def _streamed_call(self, call: CallModel) -> Generator[Event, None, ModelResponse]:
        for piece in self.model.stream(call.request):
            if isinstance(piece, ModelResponse):
                return piece
            yield TextDelta(call.step, piece)
        raise ModelError(f"{self.model.name}: stream ended without a response")

    async def _adrive(self, task: str, holder: list[Outcome]) -> AsyncIterator[Event]:
        loop = run_loop(_checked(task), self._config())
        item = next(loop)
        while True:
            if isinstance(item, Event):
                yield item
                sent: object = None
            elif isinstance(item, CallTool):
                sent = await aexecute_tool(item)
            else:
                try:
                    sent = await self.model.acomplete(item.request)
                except AutanError as error:
                    item = _throw(loop, error)
                    continue
                except Exception as error:
                    item = _throw(loop, ModelError(f"{type(error).__name__}: {error}"))
                    continue
            try:
                item = loop.send(sent)
            except StopIteration as stop:
                holder.append(cast(Outcome, stop.value))
                return


def yield_outcome(events: Generator[Event, None, Outcome]) -> Outcome:
    """Consume an event generator and return what it returned."""
    while True:
        try:
            next(events)
        except StopIteration as stop:
            return cast(Outcome, stop.value)


def _throw(loop: LoopStep, error: AutanError) -> Event | CallModel | CallTool:
    return loop.throw(error)


def _result_or_raise(outcome: Outcome) -> RunResult:
    if outcome.error is not None:
        raise outcome.error
    return outcome.result


def _checked(task: str) -> str:
    if not task or not task.strip():
        raise ConfigurationError("the task is empty")
    return task


def _check_unique_names(tools: tuple[Tool, ...]) -> None:
    names = [t.name for t in tools]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ConfigurationError(f"two tools share a name: {', '.join(duplicates)}")
