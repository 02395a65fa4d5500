"""The store interface: where a run's journal lives. One small ABC; backends implement it."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Literal

from autan.events import ApprovalRequested, Event, FinalAnswer, RunFailed

RunStatus = Literal["completed", "failed", "awaiting_approval", "incomplete"]


@dataclass(frozen=True, slots=True)
class RunInfo:
    """What a store knows about a run without loading its events."""

    run_id: str
    created: float
    """Unix time the run was created."""
    config: dict[str, Any]
    """The agent configuration recorded when the run started (never secrets)."""
    events: int
    last_event: str | None
    """The ``type`` of the last journaled event, ``None`` for a run with no events yet."""

    @property
    def status(self) -> RunStatus:
        """``incomplete`` covers both a run still going and one whose process died."""
        if self.last_event == FinalAnswer.kind:
            return "completed"
        if self.last_event == RunFailed.kind:
            return "failed"
        if self.last_event == ApprovalRequested.kind:
            return "awaiting_approval"
        return "incomplete"


class Store(ABC):
    """An append-only journal of runs: create a run, append its events in order, read them back.

    ``append`` writes event number ``seq`` (0, 1, 2, …) of a run and is durable when it returns;
    a ``seq`` that is already taken raises ``StoreError``, so two processes cannot both continue
    the same run. Unknown run ids raise ``ConfigurationError``.
    """

    @abstractmethod
    def create_run(self, run_id: str, config: Mapping[str, Any]) -> None:
        """Record a new run and the configuration it was started with."""

    @abstractmethod
    def append(self, run_id: str, seq: int, event: Event) -> None:
        """Append event ``seq`` of run ``run_id``."""

    @abstractmethod
    def load(self, run_id: str) -> list[Event]:
        """All events of a run, in order."""

    @abstractmethod
    def info(self, run_id: str) -> RunInfo:
        """One run's summary."""

    @abstractmethod
    def runs(self, limit: int | None = None) -> list[RunInfo]:
        """Summaries of the most recent runs, newest first."""

    @abstractmethod
    def close(self) -> None:
        """Release the store's resources (a connection, a pool)."""

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
