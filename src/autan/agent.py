"""``Agent``: configuration, and three ways to run it (sync, async, streaming) over one loop."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Generator, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, cast

from autan._execute import aexecute_batch, aexecute_tool, execute_batch, execute_tool
from autan._journal import Run, reopen_run, start_run
from autan.errors import AutanError, ConfigurationError, ModelError
from autan.events import Event, TextDelta
from autan.limits import Limits
from autan.loop import (
    AwaitApproval,
    CallModel,
    CallTool,
    CallTools,
    Effect,
    LoopConfig,
    LoopStep,
    Outcome,
    run_loop,
)
from autan.messages import ModelResponse
from autan.models.base import Model
from autan.result import RunResult
from autan.tools import Tool

if TYPE_CHECKING:
    from autan._replay import ReplayReport
    from autan.store import Store

DEFAULT_INSTRUCTIONS = "You are a helpful agent. Use a tool when it helps, then answer briefly."


class Agent:
    """A model, tools, instructions and limits. Running it does not change it.

    With a ``store``, every run is journaled (see ``autan.store``) and can be continued after a
    crash with ``resume``. ``metadata`` is journaled with each run's configuration (JSON values,
    for example how to rebuild the agent); never put secrets in it. The calls a model makes in
    one step run concurrently (threads, or tasks in ``arun``) unless ``concurrent_tool_calls``
    is false; their results reach the model in call order either way.
    """

    def __init__(
        self,
        model: Model | str = "local",
        tools: Iterable[Tool] = (),
        instructions: str = DEFAULT_INSTRUCTIONS,
        limits: Limits | None = None,
        store: Store | None = None,
        metadata: Mapping[str, Any] | None = None,
        concurrent_tool_calls: bool = True,
    ) -> None:
        if isinstance(model, str):
            from autan.models import load_model

            model = load_model(model)
        self.model = model
        self.tools = tuple(tools)
        self.instructions = instructions
        self.limits = limits or Limits()
        self.store = store
        self.metadata = dict(metadata or {})
        self.concurrent_tool_calls = concurrent_tool_calls
        _check_unique_names(self.tools)

    def run(self, task: str, *, run_id: str | None = None) -> RunResult:
        """Run ``task`` to its answer. Raises a ``RunError`` (with ``.result``) if it has none.

        ``run_id`` names the run in the store (default: a new random id).
        """
        outcome = yield_outcome(self._drive(self._start(task, run_id), stream_text=False))
        return _result_or_raise(outcome)

    async def arun(self, task: str, *, run_id: str | None = None) -> RunResult:
        """``run``, without blocking the event loop."""
        holder: list[Outcome] = []
        async for _ in self._adrive(self._start(task, run_id), holder):
            pass
        return _result_or_raise(holder[0])

    def stream(self, task: str, *, run_id: str | None = None) -> Iterator[Event]:
        """Yield events as they happen, text deltas included; ends after the answer or the error."""
        yield from self._drive(self._start(task, run_id), stream_text=True)

    async def astream(self, task: str, *, run_id: str | None = None) -> AsyncIterator[Event]:
        """``stream``, async."""
        async for event in self._adrive(self._start(task, run_id), []):
            yield event

    def resume(self, run_id: str) -> RunResult:
        """Continue run ``run_id`` of this agent's store from where its journal ends.

        Recorded model responses and tool results are replayed, not repeated; then the run goes
        on live. A run that already answered returns its result. A tool call that started but
        has no journaled result is run again only if its tool is idempotent; otherwise
        ``ResumeNeedsDecision`` is raised. The agent must be configured as the run's was.
        """
        run = self._reopen(run_id)
        if isinstance(run, RunResult):
            return run
        return _result_or_raise(yield_outcome(self._drive(run, stream_text=False)))

    async def aresume(self, run_id: str) -> RunResult:
        """``resume``, without blocking the event loop (the store's I/O still blocks briefly)."""
        run = self._reopen(run_id)
        if isinstance(run, RunResult):
            return run
        holder: list[Outcome] = []
        async for _ in self._adrive(run, holder):
            pass
        return _result_or_raise(holder[0])

    def replay(self, run_id: str) -> ReplayReport:
        """Run ``run_id``'s recorded model responses and tool results through this agent's loop,
        calling neither the model nor a tool; report whether it produced the recorded events."""
        from autan._replay import replay_run

        if self.store is None:
            raise ConfigurationError("replay needs an Agent with a store")
        return replay_run(self.store, run_id, lambda run: self._drive(run, stream_text=False))

    def approve(self, run_id: str, reason: str = "") -> None:
        """Approve the call run ``run_id`` is paused at; ``resume`` then runs it."""
        self._decide(run_id, True, reason)

    def deny(self, run_id: str, reason: str = "") -> None:
        """Deny the call run ``run_id`` is paused at; on ``resume`` the model reads the denial."""
        self._decide(run_id, False, reason)

    def _decide(self, run_id: str, approved: bool, reason: str) -> None:
        from autan._approval import decide

        if self.store is None:
            raise ConfigurationError("approvals need an Agent with a store")
        decide(self.store, run_id, approved, reason)

    def describe(self) -> dict[str, Any]:
        """The configuration journaled with each run (names and numbers, never secrets)."""
        return {
            "model": self.model.name,
            "tools": [t.name for t in self.tools],
            "instructions": self.instructions,
            "limits": dataclasses.asdict(self.limits),
            "concurrent_tool_calls": self.concurrent_tool_calls,
            **self.metadata,
        }

    def _start(self, task: str, run_id: str | None) -> Run:
        task = _checked(task)
        config = (
            self.describe() if self.store else {"concurrent_tool_calls": self.concurrent_tool_calls}
        )
        return start_run(self.store, task, config, run_id)

    def _reopen(self, run_id: str) -> Run | RunResult:
        if self.store is None:
            raise ConfigurationError("resume needs an Agent with a store")
        return reopen_run(self.store, run_id)

    def _config(self, run: Run) -> LoopConfig:
        return LoopConfig(
            self.model.name,
            self.tools,
            self.instructions,
            self.limits,
            run_id=run.run_id,
            concurrent_tool_calls=run.concurrent_tool_calls,
        )

    def _drive(self, run: Run, stream_text: bool) -> Generator[Event, None, Outcome]:
        loop = run_loop(run.task, self._config(run))
        item = next(loop)
        while True:
            sent: object = None
            if isinstance(item, Event):
                run.journal.record(item)
                yield item
            elif isinstance(item, CallTools):
                sent = execute_batch(item, run.journal.replay_batch(item))
            else:
                sent = run.journal.replay(item)
                if sent is None:
                    sent = yield from self._perform(item, stream_text)
            try:
                item = _throw(loop, sent) if isinstance(sent, AutanError) else loop.send(sent)
            except StopIteration as stop:
                return cast(Outcome, stop.value)

    def _perform(
        self, effect: CallModel | CallTool | AwaitApproval, stream_text: bool
    ) -> Generator[Event, None, object]:
        """Perform one effect live. A model failure is returned, for the loop to record."""
        if isinstance(effect, CallTool):
            return execute_tool(effect)
        if isinstance(effect, AwaitApproval):
            return _pause(effect)
        try:
            if stream_text:
                return (yield from self._streamed_call(effect))
            return self.model.complete(effect.request)
        except AutanError as error:
            return error
        except Exception as error:
            return ModelError(f"{type(error).__name__}: {error}")

    def _streamed_call(self, call: CallModel) -> Generator[Event, None, ModelResponse]:
        for piece in self.model.stream(call.request):
            if isinstance(piece, ModelResponse):
                return piece
            yield TextDelta(call.step, piece)
        raise ModelError(f"{self.model.name}: stream ended without a response")

    async def _adrive(self, run: Run, holder: list[Outcome]) -> AsyncIterator[Event]:
        loop = run_loop(run.task, self._config(run))
        item = next(loop)
        while True:
            sent: object = None
            if isinstance(item, Event):
                run.journal.record(item)
                yield item
            elif isinstance(item, CallTools):
                sent = await aexecute_batch(item, run.journal.replay_batch(item))
            else:
                sent = run.journal.replay(item)
                if sent is None:
                    sent = await self._aperform(item)
            try:
                item = _throw(loop, sent) if isinstance(sent, AutanError) else loop.send(sent)
            except StopIteration as stop:
                holder.append(cast(Outcome, stop.value))
                return

    async def _aperform(self, effect: CallModel | CallTool | AwaitApproval) -> object:
        if isinstance(effect, CallTool):
            return await aexecute_tool(effect)
        if isinstance(effect, AwaitApproval):
            return _pause(effect)
        try:
            return await self.model.acomplete(effect.request)
        except AutanError as error:
            return error
        except Exception as error:
            return ModelError(f"{type(error).__name__}: {error}")


def yield_outcome(events: Generator[Event, None, Outcome]) -> Outcome:
    """Consume an event generator and return what it returned."""
    while True:
        try:
            next(events)
        except StopIteration as stop:
            return cast(Outcome, stop.value)


def _throw(loop: LoopStep, error: AutanError) -> Event | Effect:
    return loop.throw(error)


def _pause(effect: AwaitApproval) -> AutanError:
    from autan._approval import pause

    return pause(effect)


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
