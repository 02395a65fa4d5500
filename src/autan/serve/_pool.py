"""The bounded pool that executes runs inside the server, and what it knows of them.

At most ``workers`` runs execute at once, at most ``max_queued`` wait. The pool is this
server's record of which of its runs are ``queued`` or ``running``; the store's run lease
(held from the moment a run is queued, ``WatchedStore.hold``) is what tells other servers and
processes that the run is taken.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Literal

from autan.errors import RunCancelled

Work = Callable[[], None]
PoolState = Literal["queued", "running"]

log = logging.getLogger("autan.serve")


class PoolFull(Exception):
    """More runs wait than the pool may queue."""


class AlreadyInPool(Exception):
    """The run is queued or running already."""


class Stopping(Exception):
    """The server is shutting down: the run stops before its next effect, left to resume."""


@dataclass(slots=True)
class _Job:
    work: Work
    state: PoolState = "queued"
    cancelled: str | None = None
    follow_up: Work | None = None


class RunPool:
    def __init__(self, workers: int, max_queued: int) -> None:
        self._executor = ThreadPoolExecutor(workers, thread_name_prefix="autan-run")
        self._lock = threading.Lock()
        self._jobs: dict[str, _Job] = {}
        self._max_queued = max_queued
        self._problems: dict[str, str] = {}
        self._stopping = False

    def submit(self, run_id: str, work: Work, *, after_current: bool = False) -> None:
        """Queue ``work`` for run ``run_id``. With ``after_current``, a run in the pool gets it
        as its next work, done when the current work ends; otherwise that is ``AlreadyInPool``."""
        with self._lock:
            job = self._jobs.get(run_id)
            if job is not None:
                if not after_current or job.follow_up is not None:
                    raise AlreadyInPool(run_id)
                job.follow_up = work
                return
            if self._stopping:
                raise Stopping()
            if sum(j.state == "queued" for j in self._jobs.values()) >= self._max_queued:
                raise PoolFull(run_id)
            self._jobs[run_id] = _Job(work)
            self._problems.pop(run_id, None)
        self._executor.submit(self._execute, run_id)

    def full(self) -> bool:
        with self._lock:
            return sum(j.state == "queued" for j in self._jobs.values()) >= self._max_queued

    def state(self, run_id: str) -> PoolState | None:
        with self._lock:
            job = self._jobs.get(run_id)
            return None if job is None else job.state

    def cancel(self, run_id: str, reason: str) -> bool:
        """Mark a run in the pool cancelled (it stops before its next effect); False if the
        run is not in the pool."""
        with self._lock:
            job = self._jobs.get(run_id)
            if job is None:
                return False
            job.cancelled = reason
            job.follow_up = None
            return True

    def stop_reason(self, run_id: str) -> Exception | None:
        """Why run ``run_id`` must stop before its next effect, or ``None`` to go on."""
        with self._lock:
            job = self._jobs.get(run_id)
            if job is not None and job.cancelled is not None:
                return RunCancelled(job.cancelled)
            return Stopping() if self._stopping else None

    def problem(self, run_id: str) -> str | None:
        """Why the last work on a run stopped without journaling an end (for example a resume
        that needs a person's decision)."""
        with self._lock:
            return self._problems.get(run_id)

    def note_problem(self, run_id: str, problem: str) -> None:
        with self._lock:
            self._problems[run_id] = problem

    def shutdown(self) -> None:
        """Stop taking work; runs in progress stop before their next effect, not journaled as
        ended (the next start resumes them)."""
        with self._lock:
            self._stopping = True
        self._executor.shutdown(wait=True, cancel_futures=False)

    def _execute(self, run_id: str) -> None:
        while True:
            with self._lock:
                job = self._jobs[run_id]
                job.state = "running"
            try:
                job.work()
            except Exception:  # the work reports its own failures; this is a bug, logged
                log.exception("run %s: unexpected failure", run_id)
            with self._lock:
                if job.follow_up is None:
                    del self._jobs[run_id]
                    return
                job.work, job.follow_up = job.follow_up, None
