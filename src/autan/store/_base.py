"""The store interface: where a run's journal lives. One small ABC; backends implement it."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Literal

from autan.errors import RunInProgress
from autan.events import ApprovalRequested, ElicitationRequested, Event, FinalAnswer, RunFailed
from autan.store._lease import LEASE_SECONDS, HeldLease, Holder, Lease, MayTake, new_token, stale
from autan.store._lineage import is_top_level, parent_of

RunStatus = Literal["completed", "failed", "running", "awaiting_approval", "interrupted"]


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
    lease: Lease | None = None
    """The process running it now, if one has (or had, when it died) its lease."""

    @property
    def parent(self) -> str | None:
        """The run this one is part of (a child run's parent, a tier's cascade), if any."""
        return parent_of(self.config)

    @property
    def top_level(self) -> bool:
        """Started by a user, not inside another run nor as a batch's lease record."""
        return is_top_level(self.config)

    @property
    def status(self) -> RunStatus:
        """``running``: a live process holds the run's lease; ``awaiting_approval``: the run
        waits for a person (an approval, or an answer); ``interrupted``: the run stopped
        without an answer, a failure or a pause (its process was killed or crashed)."""
        if self.last_event == FinalAnswer.kind:
            return "completed"
        if self.last_event == RunFailed.kind:
            return "failed"
        if self.lease is not None and self.lease.live():
            return "running"
        if self.last_event in (ApprovalRequested.kind, ElicitationRequested.kind):
            return "awaiting_approval"  # a person's approval, or answer to a server's question
        return "interrupted"


class Store(ABC):
    """An append-only journal of runs: create a run, append its events in order, read them back.

    ``append`` writes event number ``seq`` (0, 1, 2, …) of a run and is durable when it returns;
    a ``seq`` that is already taken raises ``StoreError``, so two processes cannot both continue
    the same run. The process that runs a run holds its lease (``claim``, see ``_lease.py``) and
    names it in each append, which the store refuses once the lease is another's. Unknown run
    ids raise ``ConfigurationError``.
    """

    @abstractmethod
    def create_run(self, run_id: str, config: Mapping[str, Any]) -> None:
        """Record a new run and the configuration it was started with."""

    @abstractmethod
    def append(self, run_id: str, seq: int, event: Event, lease: str | None = None) -> None:
        """Append event ``seq`` of run ``run_id``; with ``lease`` (a token from ``claim``), only
        while that lease is the run's, else ``StoreError``."""

    def claim(self, run_id: str, stale_after: float = LEASE_SECONDS) -> HeldLease:
        """Take run ``run_id``'s lease and keep it alive until ``release``. Raises
        ``RunInProgress`` while another process holds a live one; a stale one is taken over."""
        token = new_token()
        current = self.take_lease(run_id, token, Holder.this_process(), stale(stale_after))
        if current is not None:
            raise RunInProgress(f"run {run_id} is in progress ({current.describe()})")
        return HeldLease(self, run_id, token)

    @abstractmethod
    def take_lease(
        self, run_id: str, token: str, holder: Holder, may_take: MayTake
    ) -> Lease | None:
        """In one transaction: make ``token`` the run's lease unless it has one that
        ``may_take`` refuses to replace; return that one then, else ``None``."""

    @abstractmethod
    def renew_lease(self, run_id: str, token: str) -> bool:
        """A heartbeat: ``False`` when ``token`` is no longer the run's lease."""

    @abstractmethod
    def release_lease(self, run_id: str, token: str) -> None:
        """Give the lease back (nothing happens if it is not ``token``'s)."""

    @abstractmethod
    def load(self, run_id: str, start: int = 0) -> list[Event]:
        """The events of a run from number ``start`` on (all by default), in order."""

    @abstractmethod
    def info(self, run_id: str) -> RunInfo:
        """One run's summary."""

    @abstractmethod
    def runs(self, limit: int | None = None) -> list[RunInfo]:
        """Summaries of the most recent runs, newest first (child runs included)."""

    def top_level_runs(self, limit: int | None = None) -> list[RunInfo]:
        """Summaries of the most recent runs users started (``RunInfo.top_level``), newest
        first: no child runs, cascade tiers or batch lease records. With a ``limit``, reads
        four times as many summaries, and four times more again while too few were users'."""
        if limit is None:
            return [info for info in self.runs() if info.top_level]
        asked = max(limit, 1) * 4
        while True:
            read = self.runs(asked)
            found = [info for info in read if info.top_level]
            if len(found) >= limit or len(read) < asked:
                return found[:limit]
            asked *= 4

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
