"""``Agent``: configuration, and the ways to run it (sync, async, streaming, resume, replay),
all through the one driver."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Callable, Generator, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Generic, cast, overload

from autan.agent.code_runner import CodeRunner
from autan.agent.conversation import fit_to_window, follow_up_history
from autan.agent.drained import drained
from autan.agent.driver import drive, run_async, run_sync
from autan.agent.journal import Run, concurrent_calls, journaled, reopen_run, start_run
from autan.agent.perform import Performer
from autan.agent.team import check_handoffs, check_name, handoff_tool, members, with_team
from autan.errors import ConfigurationError
from autan.events import Event, encodable
from autan.limits import Limits
from autan.loop.config import Actions, LoopConfig, check_actions
from autan.loop.effects import Outcome
from autan.loop.history import NO_HISTORY, History
from autan.loop.run import run_loop, system_text
from autan.loop.trust_rules import TrustPolicy, TrustRules, trust_rules
from autan.models.base import Model
from autan.result import OutputT, RunResult
from autan.tools import AnswerType, Tool, answer_type

if TYPE_CHECKING:
    from autan.agent.replay import ReplayReport
    from autan.sandbox import SandboxLimits
    from autan.store import Store
    from autan.telemetry import Telemetry

DEFAULT_INSTRUCTIONS = "You are a helpful agent. Use a tool when it helps, then answer briefly."


class Agent(Generic[OutputT]):
    """A model, tools, instructions and limits. Running it does not change it.

    ``output_type=T`` (a pydantic model, dataclass, TypedDict, ``Literal``, enum, list or
    primitive): every answer is validated as a ``T`` and ``RunResult.output`` is one. Backends
    that constrain output (the embedded model, servers with a JSON-schema ``response_format``)
    are held to ``T``'s JSON Schema; an answer that still fails validation (a pydantic validator
    raising) goes back to the model like a tool error, ``Limits.tool_retries`` times. A type
    with no JSON Schema raises ``ConfigurationError`` here.

    ``run(task, after=result)`` follows up on an earlier answer of this agent: the model reads
    the conversation so far (see ``autan.agent.conversation``).

    With a ``store``, every run is journaled (see ``autan.store``) and can be continued after a
    crash with ``resume``. ``metadata`` is journaled with each run's configuration (JSON values,
    for example how to rebuild the agent); never put secrets in it. The calls a model makes in
    one step run concurrently (threads, or tasks in ``arun``) unless ``concurrent_tool_calls``
    is false; their results reach the model in call order either way.

    ``actions="code"``: the model writes Python instead of one tool call per step; each block
    runs in a fresh sandbox (``autan.sandbox``, within ``sandbox_limits``) where the tools are
    functions whose calls the host validates and counts like any tool call, and
    ``final_answer(x)`` ends the run. Raises ``SandboxUnavailable`` here when no sandbox can be
    made (see ``autan.sandbox.available``). A run stopped inside a code block cannot be resumed;
    between blocks it can.

    ``trust``: what text from untrusted sources (file contents, MCP servers, tools marked
    ``trust="untrusted"``) may trigger. After such a result, a call of a tool with side effects
    waits for approval (``"default"``), is refused (``"strict"``) or runs (``"off"``). A
    decision per tool replaces the policy's for that tool: ``{"policy": "default", "tools":
    {"write_file": "refuse", "send_email": "ask"}}`` (``allow``, ``ask`` or ``refuse``; or
    ``autan.loop.TrustRules``). See ``autan.loop.trust``.

    ``telemetry``: where runs go as OpenTelemetry GenAI traces (``autan.telemetry.Telemetry``);
    by default they go where ``OTEL_EXPORTER_OTLP_ENDPOINT`` says, and nowhere when it is not
    set; ``False``: never.
    """

    @overload
    def __init__(
        self: Agent[str],
        model: Model | str = ...,
        tools: Iterable[Tool] = ...,
        instructions: str = ...,
        limits: Limits | None = ...,
        store: Store | None = ...,
        metadata: Mapping[str, Any] | None = ...,
        concurrent_tool_calls: bool = ...,
        actions: Actions = ...,
        sandbox_limits: SandboxLimits | None = ...,
        telemetry: Telemetry | bool | None = ...,
        output_type: None = None,
        trust: TrustPolicy | TrustRules | Mapping[str, Any] = ...,
        name: str = ...,
        description: str = ...,
        handoffs: Iterable[Agent[Any]] = ...,
    ) -> None: ...

    @overload
    def __init__(
        self: Agent[OutputT],
        model: Model | str = ...,
        tools: Iterable[Tool] = ...,
        instructions: str = ...,
        limits: Limits | None = ...,
        store: Store | None = ...,
        metadata: Mapping[str, Any] | None = ...,
        concurrent_tool_calls: bool = ...,
        actions: Actions = ...,
        sandbox_limits: SandboxLimits | None = ...,
        telemetry: Telemetry | bool | None = ...,
        *,
        output_type: type[OutputT],
        trust: TrustPolicy | TrustRules | Mapping[str, Any] = ...,
        name: str = ...,
        description: str = ...,
        handoffs: Iterable[Agent[Any]] = ...,
    ) -> None: ...

    @overload
    def __init__(
        self: Agent[Any],
        model: Model | str = ...,
        tools: Iterable[Tool] = ...,
        instructions: str = ...,
        limits: Limits | None = ...,
        store: Store | None = ...,
        metadata: Mapping[str, Any] | None = ...,
        concurrent_tool_calls: bool = ...,
        actions: Actions = ...,
        sandbox_limits: SandboxLimits | None = ...,
        telemetry: Telemetry | bool | None = ...,
        *,
        output_type: object,
        trust: TrustPolicy | TrustRules | Mapping[str, Any] = ...,
        name: str = ...,
        description: str = ...,
        handoffs: Iterable[Agent[Any]] = ...,
    ) -> None: ...

    def __init__(
        self,
        model: Model | str = "local",
        tools: Iterable[Tool] = (),
        instructions: str = DEFAULT_INSTRUCTIONS,
        limits: Limits | None = None,
        store: Store | None = None,
        metadata: Mapping[str, Any] | None = None,
        concurrent_tool_calls: bool = True,
        actions: Actions = "tools",
        sandbox_limits: SandboxLimits | None = None,
        telemetry: Telemetry | bool | None = None,
        output_type: object = None,
        trust: TrustPolicy | TrustRules | Mapping[str, Any] = "default",
        name: str = "agent",
        description: str = "",
        handoffs: Iterable[Agent[Any]] = (),
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
        self.actions: Actions = _checked_actions(actions)
        self.sandbox_limits = sandbox_limits
        self.telemetry = telemetry
        self.answer: AnswerType[Any] | None = (
            None if output_type is None else answer_type(output_type)
        )
        self.trust = trust_rules(trust)
        self.name = check_name(name)
        self.description = description
        self.handoffs: tuple[Agent[Any], ...] = tuple(handoffs)
        for target in self.handoffs:
            if not isinstance(target, Agent):
                raise ConfigurationError(f"a handoff target must be an Agent, got {target!r}")
        check_handoffs(self, self.handoffs)
        _check_unique_names((*self.tools, *(handoff_tool(t) for t in self.handoffs)))

    def run(
        self, task: str, *, run_id: str | None = None, after: RunResult[Any] | None = None
    ) -> RunResult[OutputT]:
        """Run ``task`` to its answer. Raises a ``RunError`` (with ``.result``) if it has none.

        ``run_id`` names the run in the store (default: a new random id). ``after``: an earlier
        result of this agent to follow up on (a ``ConfigurationError`` if it has no answer or
        another agent made it).
        """
        return _result_or_raise(drained(self._events(self._start(task, run_id, after), False)))

    async def arun(
        self, task: str, *, run_id: str | None = None, after: RunResult[Any] | None = None
    ) -> RunResult[OutputT]:
        """``run``, without blocking the event loop."""
        return _result_or_raise(await self._aoutcome(self._start(task, run_id, after)))

    def stream(
        self, task: str, *, run_id: str | None = None, after: RunResult[Any] | None = None
    ) -> Generator[Event, None, RunResult[OutputT]]:
        """Yield events as they happen, text deltas included; ends after the answer or the
        error, returning the ``RunResult`` (``StopIteration.value``; a failed run's too)."""
        outcome = yield from self._events(self._start(task, run_id, after), True)
        result: RunResult[OutputT] = outcome.result
        return result

    async def astream(
        self, task: str, *, run_id: str | None = None, after: RunResult[Any] | None = None
    ) -> AsyncIterator[Event]:
        """``stream``, async: the same events, text deltas included."""
        async for event in self._aevents(self._start(task, run_id, after), True, []):
            yield event

    def resume(self, run_id: str) -> RunResult[OutputT]:
        """Continue run ``run_id`` of this agent's store from where its journal ends.

        Recorded model responses and tool results are replayed, not repeated; then the run goes
        on live. A run that already answered returns its result (its transcript rebuilt from
        the journal, so ``run(..., after=agent.resume(run_id))`` follows up on a stored run). A
        tool call that started but has no journaled result is run again only if its tool is
        idempotent; otherwise ``ResumeNeedsDecision`` is raised. The agent must be configured
        as the run's was.
        """
        run = self._reopen(run_id)
        if isinstance(run, RunResult):
            return self._finished(run)
        return _result_or_raise(drained(self._events(run, False)))

    async def aresume(self, run_id: str) -> RunResult[OutputT]:
        """``resume``, without blocking the event loop (the store's I/O still blocks briefly)."""
        run = self._reopen(run_id)
        if isinstance(run, RunResult):
            return self._finished(run)
        return _result_or_raise(await self._aoutcome(run))

    def _child_events(
        self, task: str, run_id: str | None, stream_text: bool
    ) -> Generator[Event, None, RunResult[OutputT]]:
        """Run ``task`` as ``run_id``, or resume it where the store has it: its events, then
        its result (raises its error). How a child run (``as_tool``) runs."""
        run = self._reopen(run_id) if run_id and journaled(self.store, run_id) else None
        if isinstance(run, RunResult):
            return self._finished(run)
        run = run or self._start(task, run_id, None)
        return _result_or_raise((yield from self._events(run, stream_text)))

    def replay(self, run_id: str) -> ReplayReport:
        """Run ``run_id``'s recorded model responses and tool results through this agent's loop,
        calling neither the model nor a tool; report whether it produced the recorded events."""
        from autan.agent.replay import replay_run

        if self.store is None:
            raise ConfigurationError("replay needs an Agent with a store")
        return replay_run(self.store, run_id, lambda run: self._events(run, False))

    def prompts(self, run_id: str) -> list[tuple[int, str]]:
        """Each model request of run ``run_id`` as ``(step, prompt)``, rebuilt by replaying the
        journal through this agent's loop (the journal keeps no prompts: they grow with every
        step) and rendered by this agent's model: for the embedded model the exact text it
        read, for a server the request body. Raises ``ConfigurationError`` if the replay
        differs from the journal (this agent is not the run's)."""
        report = self.replay(run_id)
        if not report.same:
            raise ConfigurationError(
                f"cannot rebuild the prompts of run {run_id}: {report.difference}"
            )
        team = members(self)
        return [
            (
                request.step,
                (team[agent].model if agent in team else self.model).render_prompt(request),
            )
            for request, agent in zip(report.requests, report.agents, strict=True)
        ]

    def approve(self, run_id: str, reason: str = "") -> None:
        """Approve the call run ``run_id`` is paused at; ``resume`` then runs it."""
        self._decide(run_id, True, reason)

    def deny(self, run_id: str, reason: str = "") -> None:
        """Deny the call run ``run_id`` is paused at; on ``resume`` the model reads the denial."""
        self._decide(run_id, False, reason)

    def as_tool(self, name: str | None = None, description: str | None = None) -> Tool:
        """This agent as a tool of another: each call is a run of this agent (its own model,
        tools, instructions and limits) on the task the calling model writes, journaled in the
        caller's store as a child of the caller's step; the answer (a typed answer's JSON) is
        the call's result, and what the child spent counts as the caller's. ``name``: the
        tool's (default: the agent's name); ``description``: what the calling model reads
        (default: the agent's ``description``). See ``autan.agent.child``."""
        from autan.agent.child import agent_tool

        return agent_tool(self, name, description)

    def describe(self) -> dict[str, Any]:
        """The configuration journaled with each run (names and numbers, never secrets)."""
        return {
            **({"agent": self.name} if self.name != "agent" else {}),
            **({"handoffs": [t.name for t in self.handoffs]} if self.handoffs else {}),
            "model": self.model.name,
            "tools": [t.name for t in self.tools],
            "instructions": self.instructions,
            "limits": dataclasses.asdict(self.limits),
            "concurrent_tool_calls": self.concurrent_tool_calls,
            "trust": self.trust.describe(),
            **({"actions": self.actions} if self.actions != "tools" else {}),
            **({"output_schema": self.answer.schema} if self.answer else {}),
            **self.metadata,
        }

    def close(self) -> None:
        """Release what the tools hold (the connections of MCP tools), each once."""
        closers: list[Callable[[], None]] = []
        for held in self.tools:
            if held.close is not None and held.close not in closers:
                closers.append(held.close)
        for close in closers:
            close()

    def __enter__(self) -> Agent[OutputT]:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    async def __aenter__(self) -> Agent[OutputT]:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        import asyncio

        await asyncio.to_thread(self.close)

    def _decide(self, run_id: str, approved: bool, reason: str) -> None:
        from autan.store import decide

        if self.store is None:
            raise ConfigurationError("approvals need an Agent with a store")
        decide(self.store, run_id, approved, reason)

    def _start(self, task: str, run_id: str | None, after: RunResult[Any] | None) -> Run:
        task = _checked(task)
        history = self._history(after, task) if after is not None else NO_HISTORY
        config = (
            self.describe() if self.store else {"concurrent_tool_calls": self.concurrent_tool_calls}
        )
        if after is not None and after.run_id:
            config = {**config, "after": after.run_id}
        run = start_run(self.store, task, config, run_id)
        return self._watched(dataclasses.replace(run, history=history))

    def _history(self, after: RunResult[Any], task: str) -> History:
        names = tuple(t.name for t in self.tools)
        system = system_text(self._loop_config(None))
        history = follow_up_history(after, self.model.name, names, system)
        return fit_to_window(self.model, history, task, self._loop_config(None))

    def _reopen(self, run_id: str) -> Run | RunResult:
        if self.store is None:
            raise ConfigurationError("resume needs an Agent with a store")
        run = reopen_run(self.store, run_id)
        if isinstance(run, RunResult):
            return run
        return self._watched(dataclasses.replace(run, history=self._stored_history(run_id)))

    def _watched(self, run: Run) -> Run:
        """The run with a trace watcher when telemetry is on (see ``autan.telemetry``)."""
        telemetry = self.telemetry
        if telemetry is None or telemetry is True:
            from autan.telemetry import tracing_requested

            if not tracing_requested():
                return run
            from autan.telemetry import environment_telemetry

            telemetry = environment_telemetry()
        if telemetry is None or telemetry is False:
            return run
        return dataclasses.replace(run, watcher=telemetry.watch(run.run_id))

    def _stored_history(self, run_id: str) -> History:
        """The transcript run ``run_id`` followed up on, rebuilt from the journal."""
        assert self.store is not None
        after = self.store.info(run_id).config.get("after")
        if not isinstance(after, str):
            return NO_HISTORY
        return self._history(self._answered(after), self.store.info(run_id).config["task"])

    def _answered(self, run_id: str) -> RunResult[OutputT]:
        """An answered stored run, replayed through the loop (no model, no tool) to rebuild its
        output (typed) and transcript."""
        from autan.agent.replay import JournalEnds, ReplayJournal

        assert self.store is not None
        config = self.store.info(run_id).config
        mine = self.describe()
        if any(config.get(key) != mine.get(key) for key in ("instructions", "output_schema")):
            raise ConfigurationError(f"run {run_id} belongs to another agent (other instructions)")
        events = self.store.load(run_id)
        journal = ReplayJournal(self.store, run_id, events)
        run = Run(config["task"], run_id, journal, concurrent_calls(config))
        run = dataclasses.replace(run, history=self._stored_history(run_id))
        try:
            return _result_or_raise(drained(self._events(run, False)))
        except JournalEnds:
            raise ConfigurationError(
                f"run {run_id} does not replay on this agent: its loop goes past the journal"
            ) from None

    def _finished(self, recorded: RunResult) -> RunResult[OutputT]:
        """An answered run's result: replayed (with its transcript) where this agent
        reproduces it, else as the journal says (no transcript: no follow-up)."""
        assert recorded.run_id is not None
        try:
            return self._answered(recorded.run_id)
        except ConfigurationError:
            if self.answer is None or recorded.output is None:
                return cast("RunResult[OutputT]", recorded)  # untyped: OutputT is str
            output = self.answer.parse(recorded.output)
            return RunResult(output, recorded.events, recorded.seconds, recorded.run_id)

    def _loop_config(self, run: Run | None) -> LoopConfig:
        config = self._own_config(run)
        return with_team(config, members(self)) if self.handoffs else config

    def _performer(self, code: CodeRunner, stream_text: bool) -> Performer:
        models = {name: agent.model for name, agent in members(self).items()}
        return Performer(self.model, code, stream_text, self.store, models)

    def _own_config(self, run: Run | None) -> LoopConfig:
        return LoopConfig(
            self.model.name,
            self.tools,
            self.instructions,
            self.limits,
            run_id=run.run_id if run else "",
            concurrent_tool_calls=run.concurrent_tool_calls if run else True,
            actions=self.actions,
            answer=self.answer,
            trust=self.trust if run is None or run.trust is None else trust_rules(run.trust),
            agent_name=self.name,
            may_ask=self.store is not None,
        )

    def _events(self, run: Run, stream_text: bool) -> Generator[Event, None, Outcome]:
        code = CodeRunner(self.tools, self.sandbox_limits)
        try:
            driving = drive(run, run_loop(run.task, self._loop_config(run), run.history))
            return (yield from run_sync(driving, self._performer(code, stream_text)))
        finally:
            code.close()
            run.end()

    async def _aevents(
        self, run: Run, stream_text: bool, ended: list[Outcome]
    ) -> AsyncIterator[Event]:
        code = CodeRunner(self.tools, self.sandbox_limits)
        try:
            driving = drive(run, run_loop(run.task, self._loop_config(run), run.history))
            async for event in run_async(driving, self._performer(code, stream_text), ended):
                yield event
        finally:
            code.close()
            run.end()

    async def _aoutcome(self, run: Run) -> Outcome:
        ended: list[Outcome] = []
        async for _ in self._aevents(run, False, ended):
            pass
        return ended[0]


def _result_or_raise(outcome: Outcome) -> RunResult[Any]:
    if outcome.error is not None:
        raise outcome.error
    return outcome.result


def _checked(task: str) -> str:
    if not task or not task.strip():
        raise ConfigurationError("the task is empty")
    return encodable(task)


def _checked_actions(actions: str) -> Actions:
    checked = check_actions(actions)
    if checked == "code":
        from autan.sandbox import available

        available()  # fail closed now, not at the first block
    return checked


def _check_unique_names(tools: tuple[Tool, ...]) -> None:
    names = [t.name for t in tools]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ConfigurationError(f"two tools share a name: {', '.join(duplicates)}")
