"""The store the server's agents journal to: the real one, plus what the server needs at the
places every run passes: a cancelled run stops at ``append`` (before its next effect), every
appended event wakes the clients that follow the run, and a run waiting in the pool is held by
its lease from the moment it is queued, so another server on the same store neither resumes
it nor writes to it."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

from autan.events import Event
from autan.store import HeldLease, Holder, Lease, MayTake, RunInfo, Store


class WatchedStore(Store):
    """Delegates to ``store``. ``stop_reason(run_id)`` is the exception that stops a run before
    its next event (a cancel), or ``None``; ``appended(run_id)`` is called after each event is
    durable."""

    def __init__(
        self,
        store: Store,
        stop_reason: Callable[[str], Exception | None],
        appended: Callable[[str], None],
    ) -> None:
        self.inner = store
        self._stop_reason = stop_reason
        self._appended = appended
        self._held: dict[str, HeldLease] = {}
        self._lock = threading.Lock()

    def hold(self, run_id: str) -> HeldLease:
        """Claim run ``run_id``'s lease now (``RunInProgress`` while another process holds
        it) and keep it until the run's agent claims it (``take_lease`` hands it over) or
        ``let_go``."""
        held = self.inner.claim(run_id)
        with self._lock:
            self._held[run_id] = held
        return held

    def let_go(self, run_id: str) -> None:
        """Give back a lease ``hold`` took that no agent claimed (the run did not start)."""
        with self._lock:
            held = self._held.pop(run_id, None)
        if held is not None:
            held.release()

    def create_run(self, run_id: str, config: Mapping[str, Any]) -> None:
        self.inner.create_run(run_id, config)

    def append(self, run_id: str, seq: int, event: Event, lease: str | None = None) -> None:
        stop = self._stop_reason(run_id)
        if stop is not None:
            raise stop
        self.inner.append(run_id, seq, event, lease)
        self._appended(run_id)

    def append_regardless(
        self, run_id: str, seq: int, event: Event, lease: str | None = None
    ) -> None:
        """``append``, also for a cancelled run: how the server journals why a run stopped."""
        self.inner.append(run_id, seq, event, lease)
        self._appended(run_id)

    def take_lease(
        self, run_id: str, token: str, holder: Holder, may_take: MayTake
    ) -> Lease | None:
        """A claim of a run this server holds takes its lease over, in the store's one
        transaction: no other process can claim the run in between."""
        with self._lock:
            held = self._held.pop(run_id, None)
        if held is None:
            return self.inner.take_lease(run_id, token, holder, may_take)
        held.hand_over()

        def ours_or(lease: Lease) -> bool:
            return lease.holder == holder or may_take(lease)

        return self.inner.take_lease(run_id, token, holder, ours_or)

    def renew_lease(self, run_id: str, token: str) -> bool:
        return self.inner.renew_lease(run_id, token)

    def release_lease(self, run_id: str, token: str) -> None:
        self.inner.release_lease(run_id, token)

    def load(self, run_id: str, start: int = 0) -> list[Event]:
        return self.inner.load(run_id, start)

    def info(self, run_id: str) -> RunInfo:
        return self.inner.info(run_id)

    def runs(self, limit: int | None = None) -> list[RunInfo]:
        return self.inner.runs(limit)

    def close(self) -> None:
        self.inner.close()
