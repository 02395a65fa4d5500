"""Replay: run a journaled run's recorded model responses and tool results through the loop
of the current code, calling neither the model nor any tool, and compare the events.

For debugging and regression tests: a change to the loop, a protocol or a tool's schema that
would make a recorded run go differently shows as the first event that differs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from autan.agent.journal import Replayed, Run, StoredJournal, concurrent_calls
from autan.errors import ConfigurationError, ResumeNeedsDecision
from autan.events import Event
from autan.loop.effects import CallModel, CallTool, CallTools, Effect, Outcome, ToolOutcome
from autan.messages import ModelRequest

if TYPE_CHECKING:
    from autan.store import Store

Driver = Callable[[Run], Generator[Event, None, Outcome]]


@dataclass(frozen=True, slots=True)
class ReplayReport:
    """``same``: the loop produced the recorded events, in order, and nothing else."""

    run_id: str
    same: bool
    compared: int
    """How many recorded events the loop reproduced before it stopped or differed."""
    recorded: int
    difference: str = ""
    """The first difference, empty when ``same``."""
    requests: tuple[ModelRequest, ...] = ()
    """The model requests the loop made, rebuilt exactly (up to a difference, if any)."""
    agents: tuple[str, ...] = ()
    """For each request, the agent whose model it was for (``""``: the run's own; another
    after a handoff)."""


class JournalEnds(Exception):
    """The loop reached the end of the journal: the recorded run was interrupted or paused."""


class ReplayJournal(StoredJournal):
    """A journal that only compares: it never appends and never lets an effect run live."""

    def __init__(self, store: Store, run_id: str, recorded: Sequence[Event]) -> None:
        super().__init__(store, run_id, recorded)
        self.requests: list[ModelRequest] = []
        self.agents: list[str] = []

    @property
    def compared(self) -> int:
        return self._cursor

    def record(self, event: Event) -> Event | None:
        if self._cursor >= len(self._recorded):
            raise JournalEnds
        return super().record(event)

    def replay(self, effect: Effect) -> Replayed:
        if isinstance(effect, CallModel):  # kept even where the journal ends: a call under way
            self.requests.append(effect.request)
            self.agents.append(effect.agent)
        if self._cursor >= len(self._recorded):
            raise JournalEnds
        try:
            outcome = super().replay(effect)
        except ResumeNeedsDecision:
            raise JournalEnds from None
        if outcome is None:  # a call whose samples were journaled, its result not
            raise JournalEnds
        return outcome

    def sample_log(self, effect: CallTool) -> None:
        return None

    def replay_batch(self, effect: CallTools) -> list[ToolOutcome | None]:
        try:
            outcomes = super().replay_batch(effect)
        except ResumeNeedsDecision:
            raise JournalEnds from None
        if None in outcomes:
            raise JournalEnds
        return outcomes


def replay_run(store: Store, run_id: str, drive: Driver) -> ReplayReport:
    """Drive the loop over run ``run_id``'s journal with ``drive`` (an agent's driver)."""
    config = store.info(run_id).config
    task = config.get("task")
    if not isinstance(task, str):
        raise ConfigurationError(f"run {run_id} has no task to replay")
    events = store.load(run_id)
    journal = ReplayJournal(store, run_id, events)
    difference = ""
    try:
        _consume(drive(Run(task, run_id, journal, concurrent_calls(config))))
    except JournalEnds:
        pass
    except ConfigurationError as mismatch:
        difference = str(mismatch)
    if not difference and journal.compared < len(events):
        difference = f"the loop ended after {journal.compared} of {len(events)} recorded events"
    report = ReplayReport(run_id, not difference, journal.compared, len(events), difference)
    return dataclasses.replace(
        report, requests=tuple(journal.requests), agents=tuple(journal.agents)
    )


def _consume(events: Generator[Event, None, Outcome]) -> None:
    for _ in events:
        pass
