"""A cascade's own journal: a run in the store whose events are its tiers' starts and ends,
then its answer or its failure. Each tier is a run of its own, named in ``TierStarted``, so a
cascade resumed after a crash goes on at the tier that was running."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from autan.errors import ConfigurationError
from autan.events import Event, FinalAnswer, RunFailed, TierEnded, TierStarted, encodable
from autan.ids import new_run_id

if TYPE_CHECKING:
    from autan.store import HeldLease, Store

CASCADE_KEY = "cascade"
"""The configuration key of a cascade's run (its tiers, its reasons); a tier's run names its
cascade's run under the same key."""


class CascadeJournal:
    """Appends a cascade's events to ``store`` (nothing without one), after those recorded."""

    def __init__(
        self,
        store: Store | None,
        run_id: str,
        recorded: Sequence[Event] = (),
        lease: HeldLease | None = None,
    ) -> None:
        self.store = store
        self.run_id = run_id
        self.recorded = tuple(recorded)
        self._lease = lease
        self._next = len(self.recorded)

    @classmethod
    def start(
        cls, store: Store | None, task: str, config: Mapping[str, Any], run_id: str | None
    ) -> CascadeJournal:
        run_id = run_id or new_run_id()
        if store is None:
            return cls(None, run_id)
        store.create_run(run_id, encodable({"task": task, **config}))
        return cls(store, run_id, lease=store.claim(run_id))

    @classmethod
    def reopen(cls, store: Store, run_id: str) -> tuple[CascadeJournal, str]:
        """The journal of cascade ``run_id``, holding its lease, and the cascade's task."""
        config = store.info(run_id).config
        task = config.get("task")
        if CASCADE_KEY not in config or not isinstance(task, str):
            raise ConfigurationError(f"run {run_id} is not a cascade's run")
        lease = store.claim(run_id)
        try:
            events = store.load(run_id)
        except BaseException:
            lease.release()
            raise
        return cls(store, run_id, events, lease), task

    def append(self, event: Event) -> None:
        if self.store is not None:
            token = self._lease.token if self._lease else None
            self.store.append(self.run_id, self._next, event, token)
        self._next += 1

    def ended_tiers(self) -> tuple[TierEnded, ...]:
        return tuple(e for e in self.recorded if isinstance(e, TierEnded))

    def started(self, tier: int) -> TierStarted | None:
        """The recorded start of tier ``tier``, if it started before the cascade resumed."""
        return next(
            (e for e in self.recorded if isinstance(e, TierStarted) and e.tier == tier), None
        )

    def ending(self) -> FinalAnswer | RunFailed | None:
        """How the recorded cascade ended; ``None`` if it has not."""
        last = self.recorded[-1] if self.recorded else None
        return last if isinstance(last, FinalAnswer | RunFailed) else None

    def end(self) -> None:
        """Give the cascade's lease back: it stopped, however it stopped."""
        if self._lease is not None:
            self._lease.release()
