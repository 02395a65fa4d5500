"""Performing the effects a run's journal has no outcome for: model calls (streamed or not),
tool calls, code blocks and approvals, sync or async. A failure becomes the ``AutanError`` that
the loop records, never an exception through the driver."""

from __future__ import annotations

from collections.abc import AsyncIterator, Generator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from autan.agent.code_runner import CodeRunner
from autan.agent.execute import aexecute_batch, aexecute_tool, execute_batch, execute_tool
from autan.errors import AutanError, ModelError
from autan.events import TextDelta
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

    def perform(self, work: Work) -> Generator[TextDelta, None, object]:
        if isinstance(work, LiveBatch):
            return execute_batch(work.effect, work.recorded, self.store, work.logs)
        effect = work.effect
        if not isinstance(effect, CallModel):
            return self._other(effect, work.log)
        try:
            if self.stream_text:
                return (yield from self._streamed(effect))
            return self._model(effect).complete(effect.request)
        except Exception as error:
            return _model_failure(error)

    async def aperform(self, work: Work) -> AsyncIterator[TextDelta | Done]:
        if isinstance(work, LiveBatch):
            yield Done(await aexecute_batch(work.effect, work.recorded, self.store, work.logs))
            return
        effect = work.effect
        if isinstance(effect, StartCode | ReplyToCode):
            yield Done(await self.code.aperform(effect))
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


def _model_failure(error: Exception) -> AutanError:
    """A model call's failure, for the loop to record: autan's own errors as they are."""
    if isinstance(error, AutanError):
        return error
    return ModelError(f"{type(error).__name__}: {error}")


def _pause(effect: AwaitApproval | AwaitAnswer) -> AutanError:
    from autan.agent.approval import pause, pause_for_answer

    return pause_for_answer(effect) if isinstance(effect, AwaitAnswer) else pause(effect)
