"""``Cascade``: the cheapest model that can do the job. A task runs on the first tier and moves
up a tier only when that run fails in a way the cascade escalates on."""

from __future__ import annotations

import copy
from collections.abc import Callable, Generator, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, cast

from autan.agent._agent import Agent, _checked
from autan.agent.cascade_journal import CASCADE_KEY, CascadeJournal
from autan.agent.cascade_result import CascadeResult
from autan.agent.escalation import DEFAULT_ESCALATE_ON, check_escalate_on, failure_reason
from autan.agent.journal import Run
from autan.errors import AutanError, CascadeFailed, ConfigurationError, RunError, VerifierFailed
from autan.events import Event, FinalAnswer, RunFailed, TierEnded, TierOutcome, TierStarted
from autan.result import OutputT, RunResult

if TYPE_CHECKING:
    from autan.store import Store

Verifier = Callable[[RunResult[Any]], bool]
"""Judges an answered tier's run: ``True`` accepts its answer, ``False`` escalates."""

"""The configuration key of a tier's run: its cascade's run id and its tier number."""

Attempt = Generator[Event, None, tuple[RunResult[Any], AutanError | None]]


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
        _check_one_answer_type(self.tiers)

    def run(self, task: str, *, run_id: str | None = None) -> CascadeResult[OutputT]:
        """Run ``task`` up the tiers until one answers; raises ``CascadeFailed`` if none does,
        ``VerifierFailed`` if ``verify`` raises, and a tier's pause (``AwaitingApproval``) or
        other error as it is."""
        journal = CascadeJournal.start(self.store, _checked(task), self._config(), run_id)
        return _drained(self._go(journal, task, False))

    def stream(
        self, task: str, *, run_id: str | None = None
    ) -> Generator[Event, None, CascadeResult[OutputT]]:
        """``run``, yielding each tier's events (text deltas included) as they happen, with a
        ``TierStarted`` before and a ``TierEnded`` after each tier."""
        journal = CascadeJournal.start(self.store, _checked(task), self._config(), run_id)
        return (yield from self._go(journal, task, True))

    def resume(self, run_id: str) -> CascadeResult[OutputT]:
        """Continue cascade ``run_id`` at the tier its journal was running (that tier's run
        resumed, see ``Agent.resume``); an ended cascade gives its answer or raises again."""
        if self.store is None:
            raise ConfigurationError("resume needs a Cascade with a store")
        journal, task = CascadeJournal.reopen(self.store, run_id)
        return _drained(self._go(journal, task, False))

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

    def _go(
        self, journal: CascadeJournal, task: str, stream: bool
    ) -> Generator[Event, None, CascadeResult[OutputT]]:
        try:
            ending = journal.ending()
            if ending is not None:
                return self._ended(journal, ending)
            tiers = list(journal.ended_tiers())
            result = None
            while not tiers or tiers[-1].outcome == "escalated":
                ended, result = yield from self._tier(journal, task, len(tiers) + 1, stream)
                tiers.append(ended)
                yield ended
            return self._conclude(journal, tuple(tiers), result)
        finally:
            journal.end()

    def _tier(
        self, journal: CascadeJournal, task: str, number: int, stream: bool
    ) -> Generator[Event, None, tuple[TierEnded, RunResult[OutputT]]]:
        agent = self._tier_agent(journal.run_id, number)
        tier_id = f"{journal.run_id}-{number}"
        if not journal.started(number):
            started = TierStarted(number, tier_id, agent.model.name)
            journal.append(started)
            yield started
        result, error = yield from self._attempt(agent, task, tier_id, stream)
        ended = self._judged(number, tier_id, agent, result, error)
        journal.append(ended)
        return ended, result

    def _attempt(self, agent: Agent[OutputT], task: str, tier_id: str, stream: bool) -> Attempt:
        """The tier's run, from its start or from its journal, and its error if it has one."""
        opened = self._open_tier(agent, task, tier_id)
        if isinstance(opened, RunResult):
            return opened, None
        outcome = yield from agent._events(opened, stream)
        return outcome.result, outcome.error

    def _open_tier(
        self, agent: Agent[OutputT], task: str, tier_id: str
    ) -> Run | RunResult[OutputT]:
        """A ``Run`` to drive, or the ``RunResult`` of a tier run that already ended."""
        if self.store is None or not _known(self.store, tier_id):
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

    def _ended(
        self, journal: CascadeJournal, ending: FinalAnswer | RunFailed
    ) -> CascadeResult[OutputT]:
        tiers = journal.ended_tiers()
        result = self._recorded_result(journal, tiers[-1])
        if isinstance(ending, RunFailed):
            raise _failure(tiers, result, self.escalate_on)
        return CascadeResult(result.output, tiers, result, journal.run_id)

    def _recorded_result(self, journal: CascadeJournal, tier: TierEnded) -> RunResult[OutputT]:
        agent = self._tier_agent(journal.run_id, tier.tier)
        opened = self._open_tier(agent, "", tier.run_id)
        if not isinstance(opened, RunResult):
            raise ConfigurationError(f"tier run {tier.run_id} has not ended")
        return opened

    def _tier_agent(self, cascade_id: str, number: int) -> Agent[OutputT]:
        """Tier ``number``'s agent journaling to the cascade's store, its runs naming the
        cascade (a copy: the tier itself stays as it was given)."""
        from autan.store._lineage import TIER_KEY

        agent = copy.copy(self.tiers[number - 1])
        agent.store = self.store
        agent.metadata = {**agent.metadata, TIER_KEY: {"cascade": cascade_id, "tier": number}}
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


def _drained(events: Generator[Event, None, CascadeResult[OutputT]]) -> CascadeResult[OutputT]:
    while True:
        try:
            next(events)
        except StopIteration as stop:
            done: CascadeResult[OutputT] = stop.value
            return done


def _known(store: Store, run_id: str) -> bool:
    try:
        store.info(run_id)
    except ConfigurationError:
        return False
    return True


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
