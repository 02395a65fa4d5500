"""The store the server's agents journal to: the real one, plus two things the server needs at
the one place every event passes before the next effect (``append``): a cancelled run stops
there, and every appended event wakes the clients that follow the run."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from autan.events import Event
from autan.store import RunInfo, Store
from autan.store._lease import Holder, Lease, MayTake


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

    def create_run(self, run_id: str, config: Mapping[str, Any]) -> None:
        self.inner.create_run(run_id, config)

    def append(self, run_id: str, seq: int, event: Event, lease: str | None = None) -> None:
        stop = self._stop_reason(run_id)
        if stop is not None:
            raise stop
        self.inner.append(run_id, seq, event, lease)
        self._appended(run_id)

    def append_regardless(self, run_id: str, seq: int, event: Event) -> None:
        """``append``, also for a cancelled run: how the server journals why a run stopped."""
        self.inner.append(run_id, seq, event)
        self._appended(run_id)

    def take_lease(
        self, run_id: str, token: str, holder: Holder, may_take: MayTake
    ) -> Lease | None:
        return self.inner.take_lease(run_id, token, holder, may_take)

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
