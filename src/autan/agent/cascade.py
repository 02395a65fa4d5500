"""``Cascade``: the cheapest model that can do the job. A task runs on the first tier and moves
up a tier only when that run fails in a way the cascade escalates on."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Callable, Generator, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, cast

from autan.agent._agent import Agent, _checked
from autan.agent.cascade_drive import Ended, Steps, TierRun, driven, driven_async
from autan.agent.cascade_journal import CASCADE_KEY, CascadeJournal
from autan.agent.cascade_result import CascadeResult
from autan.agent.drained import drained
from autan.agent.escalation import DEFAULT_ESCALATE_ON, check_escalate_on, failure_reason
from autan.agent.journal import Run, journaled
from autan.errors import AutanError, CascadeFailed, ConfigurationError, RunError, VerifierFailed
from autan.events import Event, FinalAnswer, RunFailed, TierEnded, TierOutcome, TierStarted
from autan.limits import Budget
from autan.result import OutputT, RunResult

if TYPE_CHECKING:
    from autan.store import Store
    from autan.tools import Tool

Verifier = Callable[[RunResult[Any]], bool]
"""Judges an answered tier's run: ``True`` accepts its answer, ``False`` escalates."""

Attempt = Generator[Event | TierRun, Any, tuple[RunResult[Any], AutanError | None]]


class Cascade(Generic[OutputT]):
    """Tiers of agents, the cheapest first; each answers the same task in the same shape.

    ``run(task)`` gives the task to tier 1; when its run ends for a reason in ``escalate_on``
    (see ``autan.agent.escalation``: ``limit``, ``tool_retries``, ``invalid_answer``,
    ``verifier``, ``model_error``), tier 2 runs it from the start, and so on. An answer is
    accepted when ``verify`` (called with the tier's ``RunResult``) returns true, or when there
    is no ``verify``. Other failures end the cascade, as does the last tier failing:
    ``CascadeFailed``, with how every tier ended.

    With a ``store`` (by default the tiers' own, which must then be one), the cascade is a run
    whose journal records each tier's start (a run of its own, ``RUN_ID-N``), end, cost,
    seconds, tokens and reason; ``resume(run_id)`` continues at the tier that was running,
    resuming that tier's run. Running a cascade does not change its tiers.

    ``arun``, ``astream`` and ``aresume`` are the same without blocking the event loop on the
    tiers' model and tool calls. ``as_tool`` makes the cascade a tool of another agent.
    """

    def __init__(
        self,
        tiers: Sequence[Agent[OutputT]],
        *,
        escalate_on: Iterable[str] | str = DEFAULT_ESCALATE_ON,
        verify: Verifier | None = None,
        store: Store | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        if not tiers:
            raise ConfigurationError("a cascade needs at least one tier")
        self.tiers = tuple(tiers)
        self.escalate_on = check_escalate_on(escalate_on)
        if verify is not None and "verifier" not in self.escalate_on:
            raise ConfigurationError("a cascade with verify= escalates on 'verifier'")
        self.verify = verify
        self.store = store if store is not None else _shared_store(self.tiers)
        self.metadata = dict(metadata or {})
        self.budget = Budget()
        """What each tier may spend at most, less what the tiers before it spent: a parent
        run's budget when the cascade is its tool's child run (``as_tool``)."""
        _check_one_answer_type(self.tiers)

    def run(self, task: str, *, run_id: str | None = None) -> CascadeResult[OutputT]:
        """Run ``task`` up the tiers until one answers; raises ``CascadeFailed`` if none does,
        ``VerifierFailed`` if ``verify`` raises, and a tier's pause (``AwaitingApproval``) or
        other error as it is."""
        return drained(driven(self._go(self._journal(task, run_id), task), False))

    async def arun(self, task: str, *, run_id: str | None = None) -> CascadeResult[OutputT]:
        """``run``, without blocking the event loop."""
        return await _aresult(self._go(self._journal(task, run_id), task))

    def stream(
        self, task: str, *, run_id: str | None = None
    ) -> Generator[Event, None, CascadeResult[OutputT]]:
        """``run``, yielding each tier's events (text deltas included) as they happen, with a
        ``TierStarted`` before and a ``TierEnded`` after each tier."""
        return (yield from driven(self._go(self._journal(task, run_id), task), True))

    async def astream(self, task: str, *, run_id: str | None = None) -> AsyncIterator[Event]:
        """``stream``, async: the same events, text deltas included."""
        ended: Ended[CascadeResult[OutputT]] = Ended()
        async for event in driven_async(self._go(self._journal(task, run_id), task), True, ended):
            yield event

    def resume(self, run_id: str) -> CascadeResult[OutputT]:
        """Continue cascade ``run_id`` at the tier its journal was running (that tier's run
        resumed, see ``Agent.resume``); an ended cascade gives its answer or raises again."""
        journal, task = self._reopened(run_id)
        return drained(driven(self._go(journal, task), False))

    async def aresume(self, run_id: str) -> CascadeResult[OutputT]:
        """``resume``, without blocking the event loop (the store's I/O still blocks briefly)."""
        journal, task = self._reopened(run_id)
        return await _aresult(self._go(journal, task))

    def as_tool(self, name: str | None = None, description: str | None = None) -> Tool:
        """This cascade as a tool of another agent, like ``Agent.as_tool``: each call is a run
        of the cascade on the task the calling model writes, journaled in the caller's store as
        a child of the caller's step (resumed, not repeated, when the caller resumes), every
        tier within what the caller has left; what its tiers spent counts as the caller's.
        ``name`` and ``description`` default to tier 1's. See ``autan.agent.child``."""
        from autan.agent.child import CascadeCall, child_tool

        first = self.tiers[0]
        called = name or first.name
        about = description or first.description or f"Ask the {called} agent."
        tools = tuple(t for tier in self.tiers for t in tier.tools)
        return child_tool(CascadeCall(self, called), called, about, tools)

    def _child_events(
        self, task: str, run_id: str | None, stream_text: bool
    ) -> Generator[Event, None, CascadeResult[OutputT]]:
        """A run of the cascade named ``run_id``, or its resumption where the store holds it:
        how a cascade runs as a child run (``as_tool``)."""
        if journaled(self.store, run_id):
            assert run_id is not None
            journal, task = self._reopened(run_id)
        else:
            journal = self._journal(task, run_id)
        return (yield from driven(self._go(journal, task), stream_text))

    def _journal(self, task: str, run_id: str | None) -> CascadeJournal:
        return CascadeJournal.start(self.store, _checked(task), self._config(), run_id)

    def _reopened(self, run_id: str) -> tuple[CascadeJournal, str]:
        if self.store is None:
            raise ConfigurationError("resume needs a Cascade with a store")
        return CascadeJournal.reopen(self.store, run_id)

    def describe(self) -> dict[str, Any]:
        """What the cascade's run journals: its tiers' models, its reasons, its verifier."""
        verify = self.verify
        return {
            "tiers": [tier.model.name for tier in self.tiers],
            "escalate_on": list(self.escalate_on),
            "verify": None if verify is None else _name_of(verify),
        }

    def _config(self) -> dict[str, Any]:
        return {CASCADE_KEY: self.describe(), **self.metadata}

    def _go(self, journal: CascadeJournal, task: str) -> Steps[CascadeResult[OutputT]]:
        """The cascade's steps: its events, and each tier's run for a driver to drive."""
        try:
            ending = journal.ending()
            if ending is not None:
                return self._ended(journal, ending)
            tiers = list(journal.ended_tiers())
            result = None
            while not tiers or tiers[-1].outcome == "escalated":
                spent = _left(self.budget, tuple(tiers)).spent
                if spent is not None and tiers:
                    return self._out_of_budget(journal, tuple(tiers), result, spent)
                ended, result = yield from self._tier(journal, task, tuple(tiers))
                tiers.append(ended)
                yield ended
            return self._conclude(journal, tuple(tiers), result)
        finally:
            journal.end()

    def _tier(
        self, journal: CascadeJournal, task: str, before: tuple[TierEnded, ...]
    ) -> Generator[Event | TierRun, Any, tuple[TierEnded, RunResult[OutputT]]]:
        number = len(before) + 1
        agent = self._tier_agent(journal.run_id, number, before)
        tier_id = f"{journal.run_id}-{number}"
        started = journal.started(number)
        if started is None:
            started = TierStarted(number, tier_id, agent.model.name)
            journal.append(started)
        yield started  # a resumed tier's too, as a resumed run yields its recorded events
        result, error = yield from self._attempt(agent, task, tier_id)
        ended = self._judged(number, tier_id, agent, result, error)
        journal.append(ended)
        return ended, result

    def _attempt(self, agent: Agent[OutputT], task: str, tier_id: str) -> Attempt:
        """The tier's run, from its start or from its journal, and its error if it has one."""
        opened = self._open_tier(agent, task, tier_id)
        if isinstance(opened, RunResult):
            return opened, None
        outcome = yield TierRun(agent, opened)
        return outcome.result, outcome.error

    def _open_tier(
        self, agent: Agent[OutputT], task: str, tier_id: str
    ) -> Run | RunResult[OutputT]:
        """A ``Run`` to drive, or the ``RunResult`` of a tier run that already ended."""
        if not journaled(self.store, tier_id):
            return agent._start(task, tier_id, None)
        try:
            reopened = agent._reopen(tier_id)
        except RunError as ended:  # it failed before the crash: its journal says why
            if failure_reason(ended.result.events) is None:
                raise
            failed: RunResult[OutputT] = cast("RunResult[OutputT]", ended.result)  # no output
            return failed
        return agent._finished(reopened) if isinstance(reopened, RunResult) else reopened

    def _judged(
        self,
        number: int,
        tier_id: str,
        agent: Agent[OutputT],
        result: RunResult[OutputT],
        error: AutanError | None,
    ) -> TierEnded:
        """How the tier ended: answered and accepted, or why not, and whether that escalates."""
        last = result.events[-1] if result.events else None
        if isinstance(last, FinalAnswer):
            accepted = self._verdict(result, number)
            reason = None if accepted else ("verifier", "the verifier rejected the answer")
        else:
            reason = failure_reason(result.events)
            if reason is None:  # a pause, not an end: the cascade waits with its tier
                raise error if error is not None else ConfigurationError("the tier did not end")
        outcome: TierOutcome = "answered"
        if reason is not None:
            last_tier = number == len(self.tiers)
            escalates = reason[0] in self.escalate_on and not last_tier
            outcome = "escalated" if escalates else "failed"
        output = last.output if isinstance(last, FinalAnswer) else None
        return _tier_ended(number, tier_id, agent, result, outcome, reason, output)

    def _verdict(self, result: RunResult[Any], number: int) -> bool:
        if self.verify is None:
            return True
        try:
            verdict = self.verify(result)
        except Exception as error:
            raise VerifierFailed(
                f"the verifier raised on tier {number}'s answer: {type(error).__name__}: {error}",
                result,
            ) from error
        if not isinstance(verdict, bool):
            raise VerifierFailed(
                f"the verifier returned {type(verdict).__name__}, not a bool, on tier "
                f"{number}'s answer",
                result,
            )
        return verdict

    def _conclude(
        self,
        journal: CascadeJournal,
        tiers: tuple[TierEnded, ...],
        result: RunResult[OutputT] | None,
    ) -> CascadeResult[OutputT]:
        """The answer of the last tier, or ``CascadeFailed``; journaled as the cascade's end."""
        last = tiers[-1]
        if result is None:  # the tier ended before a crash: its run says the rest
            result = self._recorded_result(journal, last)
        if last.outcome == "answered":
            journal.append(FinalAnswer(result.steps, last.output or ""))
            return CascadeResult(result.output, tiers, result, journal.run_id)
        failure = _failure(tiers, result, self.escalate_on)
        journal.append(RunFailed(type(failure).__name__, str(failure)))
        raise failure

    def _out_of_budget(
        self,
        journal: CascadeJournal,
        tiers: tuple[TierEnded, ...],
        result: RunResult[Any] | None,
        spent: str,
    ) -> CascadeResult[OutputT]:
        """The parent run's budget is spent before the next tier: the cascade ends, failed."""
        last: RunResult[Any] = result or self._recorded_result(journal, tiers[-1])
        what = "; ".join(f"tier {t.tier} ({t.model}): {t.reason}: {t.detail}" for t in tiers)
        failure = CascadeFailed(
            f"the parent run's {spent} is spent before tier {len(tiers) + 1}: {what}",
            last,
            tiers,
        )
        journal.append(RunFailed(type(failure).__name__, str(failure)))
        raise failure

    def _ended(
        self, journal: CascadeJournal, ending: FinalAnswer | RunFailed
    ) -> CascadeResult[OutputT]:
        tiers = journal.ended_tiers()
        result = self._recorded_result(journal, tiers[-1])
        if isinstance(ending, RunFailed):
            raise _failure(tiers, result, self.escalate_on)
        return CascadeResult(result.output, tiers, result, journal.run_id)

    def _recorded_result(self, journal: CascadeJournal, tier: TierEnded) -> RunResult[OutputT]:
        agent = self._tier_agent(journal.run_id, tier.tier, ())
        opened = self._open_tier(agent, "", tier.run_id)
        if not isinstance(opened, RunResult):
            raise ConfigurationError(f"tier run {tier.run_id} has not ended")
        return opened

    def _tier_agent(
        self, cascade_id: str, number: int, before: tuple[TierEnded, ...]
    ) -> Agent[OutputT]:
        """Tier ``number``'s agent journaling to the cascade's store, its runs naming the
        cascade, within the budget the tiers ``before`` it left (a copy: the tier itself stays
        as it was given)."""
        from autan.store import TIER_KEY

        agent = copy.copy(self.tiers[number - 1])
        agent.store = self.store
        agent.metadata = {**agent.metadata, TIER_KEY: {"cascade": cascade_id, "tier": number}}
        left = _left(self.budget, before)
        if left.spent is None:
            agent.limits = left.bound(agent.limits)
        return agent


def _tier_ended(
    number: int,
    tier_id: str,
    agent: Agent[Any],
    result: RunResult[Any],
    outcome: TierOutcome,
    reason: tuple[str, str] | None,
    output: str | None,
) -> TierEnded:
    return TierEnded(
        number,
        tier_id,
        agent.model.name,
        outcome,
        reason[0] if reason else None,
        reason[1] if reason else "",
        result.cost_usd,
        _seconds(result),
        result.usage,
        result.model_calls,
        output,
    )


def _seconds(result: RunResult[Any]) -> float:
    """The run's wall clock, first event to last (across a resume too), from the events."""
    times = [e.at for e in result.events if e.at]
    return max(times) - min(times) if len(times) > 1 else result.seconds


def _failure(
    tiers: tuple[TierEnded, ...], result: RunResult[Any], escalate_on: tuple[str, ...]
) -> CascadeFailed:
    what = "; ".join(f"tier {t.tier} ({t.model}): {t.reason}: {t.detail}" for t in tiers)
    last = tiers[-1]
    if last.reason in escalate_on:
        head = "no tier gave an accepted answer"
    else:
        head = f"tier {last.tier} failed with {last.reason}, which the cascade does not escalate on"
    return CascadeFailed(f"{head}: {what}", result, tiers)


async def _aresult(steps: Steps[CascadeResult[OutputT]]) -> CascadeResult[OutputT]:
    ended: Ended[CascadeResult[OutputT]] = Ended()
    async for _ in driven_async(steps, False, ended):
        pass
    assert ended.value is not None
    return ended.value


def _left(budget: Budget, before: tuple[TierEnded, ...]) -> Budget:
    """What ``budget`` leaves once the tiers ``before`` spent their tokens and seconds."""
    tokens = sum(tier.usage.total_tokens for tier in before)
    seconds = sum(tier.seconds for tier in before)
    return Budget(
        None if budget.tokens is None else budget.tokens - tokens,
        None if budget.seconds is None else budget.seconds - seconds,
    )


def _shared_store(tiers: Sequence[Agent[Any]]) -> Store | None:
    stores = {id(t.store): t.store for t in tiers if t.store is not None}
    if len(stores) > 1:
        raise ConfigurationError("the tiers of a cascade journal to one store: pass store=")
    return next(iter(stores.values()), None)


def _check_one_answer_type(tiers: Sequence[Agent[Any]]) -> None:
    schemas = {repr(t.answer.schema if t.answer else None) for t in tiers}
    if len(schemas) > 1:
        raise ConfigurationError("the tiers of a cascade must have one output_type")


def _name_of(verify: Verifier) -> str:
    module = getattr(verify, "__module__", None) or ""
    name = getattr(verify, "__qualname__", None) or type(verify).__name__
    return f"{module}:{name}" if module else name
