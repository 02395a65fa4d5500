"""Performing the effects a run's journal has no outcome for: model calls (streamed or not),
tool calls, code blocks and approvals, sync or async. A failure becomes the ``AutanError`` that
the loop records, never an exception through the driver."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from autan.agent.child import ChildCall
from autan.agent.code_runner import CodeRunner
from autan.agent.execute import OnEvent, aexecute_batch, aexecute_tool, execute_tool, stream_batch
from autan.errors import AutanError, ModelError
from autan.events import ChildEvent, TextDelta
from autan.loop.effects import (
    AwaitAnswer,
    AwaitApproval,
    CallModel,
    CallTool,
    CallTools,
    ReplyToCode,
    StartCode,
    ToolOutcome,
)
from autan.messages import ModelResponse
from autan.models.base import Model
from autan.tools._server_requests import SampleLog

if TYPE_CHECKING:
    from autan.store import Store


@dataclass(frozen=True, slots=True)
class Live:
    """An effect the journal has no outcome for: to be performed now (a call's server's
    samples journaled in ``log``)."""

    effect: CallModel | CallTool | AwaitApproval | AwaitAnswer | StartCode | ReplyToCode
    log: SampleLog | None = None


@dataclass(frozen=True, slots=True)
class LiveBatch:
    """A step's batch of calls, with the outcomes the journal holds (``None``: run it now)
    and each call's ``SampleLog``."""

    effect: CallTools
    recorded: list[ToolOutcome | None]
    logs: tuple[SampleLog | None, ...] = ()


Work = Live | LiveBatch


@dataclass(frozen=True, slots=True)
class Done:
    """The outcome of performing one ``Work`` item (after any text deltas, when async)."""

    value: object


class Performer:
    """Performs for one run: ``stream_text`` streams model calls (text deltas come out).
    ``store``: where the run's child runs are journaled (``Agent.as_tool``); ``models``: the
    model of each agent a handoff can reach, by name (``model`` answers the others)."""

    def __init__(
        self,
        model: Model,
        code: CodeRunner,
        stream_text: bool,
        store: Store | None = None,
        models: Mapping[str, Model] | None = None,
    ) -> None:
        self.model = model
        self.code = code
        self.stream_text = stream_text
        self.store = store
        self.models = dict(models or {})

    def perform(self, work: Work) -> Generator[TextDelta | ChildEvent, None, object]:
        """Yields the model's text deltas (when streaming) and the events of child runs."""
        if isinstance(work, LiveBatch):
            batch, recorded, logs = work.effect, work.recorded, work.logs
            return (yield from stream_batch(batch, recorded, self.store, self.stream_text, logs))
        effect = work.effect
        if isinstance(effect, CallTool) and isinstance(child := effect.tool.function, ChildCall):
            return (yield from child.events(effect, self.store, self.stream_text))
        if not isinstance(effect, CallModel):
            return self._other(effect, work.log)
        try:
            if self.stream_text:
                return (yield from self._streamed(effect))
            return self._model(effect).complete(effect.request)
        except Exception as error:
            return _model_failure(error)

    async def aperform(self, work: Work) -> AsyncIterator[TextDelta | ChildEvent | Done]:
        if isinstance(work, LiveBatch):
            batch, recorded, logs = work.effect, work.recorded, work.logs
            if not any(isinstance(call.tool.function, ChildCall) for call in batch.calls):
                yield Done(await aexecute_batch(batch, recorded, self.store, logs))
                return
            store, text = self.store, self.stream_text
            async for event in _forwarded(
                lambda on_event: aexecute_batch(batch, recorded, store, logs, on_event, text)
            ):
                yield event
            return
        effect = work.effect
        if isinstance(effect, StartCode | ReplyToCode):
            yield Done(await self.code.aperform(effect))
        elif isinstance(effect, CallTool) and isinstance(effect.tool.function, ChildCall):
            call, store, text = effect, self.store, self.stream_text
            async for event in _forwarded(
                lambda on_event: aexecute_tool(call, store, None, None, on_event, text)
            ):
                yield event
        elif isinstance(effect, CallTool):
            yield Done(await aexecute_tool(effect, self.store, log=work.log))
        elif isinstance(effect, AwaitApproval | AwaitAnswer):
            yield Done(_pause(effect))
        else:
            async for piece in self._acall_model(effect):
                yield piece

    def _other(
        self,
        effect: CallTool | AwaitApproval | AwaitAnswer | StartCode | ReplyToCode,
        log: SampleLog | None,
    ) -> object:
        if isinstance(effect, StartCode | ReplyToCode):
            return self.code.perform(effect)
        if isinstance(effect, CallTool):
            return execute_tool(effect, self.store, log=log)
        return _pause(effect)

    def _model(self, call: CallModel) -> Model:
        """The model of the agent whose turn it is."""
        return self.models.get(call.agent, self.model)

    def _streamed(self, call: CallModel) -> Generator[TextDelta, None, ModelResponse]:
        model = self._model(call)
        for piece in model.stream(call.request):
            if isinstance(piece, ModelResponse):
                return piece
            yield TextDelta(call.step, piece)
        raise ModelError(f"{model.name}: stream ended without a response")

    async def _acall_model(self, call: CallModel) -> AsyncIterator[TextDelta | Done]:
        model = self._model(call)
        try:
            if not self.stream_text:
                yield Done(await model.acomplete(call.request))
                return
            async for piece in model.astream(call.request):
                if isinstance(piece, ModelResponse):
                    yield Done(piece)
                    return
                yield TextDelta(call.step, piece)
            raise ModelError(f"{model.name}: stream ended without a response")
        except Exception as error:
            yield Done(_model_failure(error))


async def _forwarded(
    work: Callable[[OnEvent], Awaitable[object]],
) -> AsyncIterator[ChildEvent | Done]:
    """The events ``work`` hands its ``on_event`` (from worker threads) as they come, then
    ``work``'s outcome."""
    import asyncio

    loop = asyncio.get_running_loop()
    events: asyncio.Queue[ChildEvent] = asyncio.Queue()

    def on_event(event: ChildEvent) -> None:
        loop.call_soon_threadsafe(events.put_nowait, event)

    task = asyncio.ensure_future(work(on_event))
    try:
        while True:
            getter = asyncio.ensure_future(events.get())
            await asyncio.wait({task, getter}, return_when=asyncio.FIRST_COMPLETED)
            if not getter.done():
                getter.cancel()
                break
            yield getter.result()
        while not events.empty():  # put before the work ended: its thread put them first
            yield events.get_nowait()
        yield Done(task.result())
    finally:
        task.cancel()


def _model_failure(error: Exception) -> AutanError:
    """A model call's failure, for the loop to record: autan's own errors as they are."""
    if isinstance(error, AutanError):
        return error
    return ModelError(f"{type(error).__name__}: {error}")


def _pause(effect: AwaitApproval | AwaitAnswer) -> AutanError:
    from autan.agent.approval import pause, pause_for_answer

    return pause_for_answer(effect) if isinstance(effect, AwaitAnswer) else pause(effect)
