"""What the server does to runs: start, continue, decide, cancel, recover on start. Every run is
executed by the pool and journaled through the ``WatchedStore``."""

from __future__ import annotations

import collections
import logging
from collections.abc import Callable, Iterator
from typing import Any

from autan.errors import (
    AutanError,
    AwaitingApproval,
    ConfigurationError,
    ResumeNeedsDecision,
    RunCancelled,
    RunError,
)
from autan.events import Event, FinalAnswer, RunFailed
from autan.ids import new_run_id
from autan.serve._hub import Hub
from autan.serve._pool import PoolFull, RunPool, Stopping
from autan.serve._source import AgentSource, RunSpec
from autan.serve._stream import Tails
from autan.serve._views import CANCELLED
from autan.serve._watched import WatchedStore
from autan.store import Store, answer, decide
from autan.tools._server_requests import ReplyAction

log = logging.getLogger("autan.serve")

SERVED_KEY = "served"
"""Marks, in a run's configuration, a run this server started: the runs it resumes on start."""


class Conflict(Exception):
    """The run is not in a state that allows what was asked (HTTP 409)."""


class Runs:
    def __init__(self, store: Store, agents: AgentSource, workers: int, max_queued: int) -> None:
        self.pool = RunPool(workers, max_queued)
        self.hub = Hub()
        self.store = WatchedStore(store, self.pool.stop_reason, self.hub.notify)
        self.tails = Tails(self.store, self.hub)
        self._agents = agents

    def start(self, spec: RunSpec) -> str:
        """Journal a new run and queue it; its id once its first event is durable."""
        if self.pool.full():
            raise PoolFull("too many runs are waiting")
        agent = self._agents.new(spec, self.store)
        agent.metadata[SERVED_KEY] = True
        run_id = new_run_id()
        events = agent.stream(spec.task, run_id=run_id)
        next(events)  # RunStarted: journaled, so a restart resumes the run even if queued
        self.pool.submit(run_id, lambda: self._finish(run_id, lambda: _drain(events)))
        return run_id

    def resume(self, run_id: str) -> None:
        """Continue a run that neither ended nor waits for a decision."""
        status = self.store.info(run_id).status
        if status != "interrupted":
            raise Conflict(f"run {run_id} is {status.replace('_', ' ')}; nothing to resume")
        self.pool.submit(run_id, self._resumption(run_id))

    def decide(self, run_id: str, approved: bool, reason: str) -> None:
        """Journal the decision on the call the run waits for, then continue the run."""
        try:
            decide(self.store, run_id, approved, reason)
        except ConfigurationError as problem:
            raise Conflict(str(problem)) from None
        self.pool.submit(run_id, self._resumption(run_id), after_current=True)

    def answer(self, run_id: str, action: ReplyAction, content: dict[str, Any] | None) -> None:
        """Journal the answer to the question the run waits on, then continue the run."""
        try:
            answer(self.store, run_id, action, content)
        except ConfigurationError as problem:
            raise Conflict(str(problem)) from None
        self.pool.submit(run_id, self._resumption(run_id), after_current=True)

    def cancel(self, run_id: str, reason: str) -> None:
        """Stop the run before its next effect and journal why."""
        why = reason or "cancelled through the API"
        if _ended(self.store.load(run_id)):
            raise Conflict(f"run {run_id} has already ended")
        if not self.pool.cancel(run_id, why):
            self._journal_cancel(run_id, why)

    def recover(self) -> list[str]:
        """Queue again the runs this server started and did not finish (after a crash)."""
        unfinished = [
            info.run_id
            for info in self.store.runs()
            if info.config.get(SERVED_KEY) and info.status == "interrupted"
        ]
        for n, run_id in enumerate(unfinished):
            try:
                self.pool.submit(run_id, self._resumption(run_id))
            except PoolFull:
                log.warning(
                    "%d unfinished runs left for later: the queue is full", len(unfinished) - n
                )
                return unfinished[:n]
        return unfinished

    def _resumption(self, run_id: str) -> Callable[[], None]:
        return lambda: self._finish(run_id, lambda: self._resume_now(run_id))

    def _resume_now(self, run_id: str) -> None:
        agent = self._agents.existing(run_id, self.store.info(run_id).config, self.store)
        try:
            agent.resume(run_id)
        except ResumeNeedsDecision:
            raise
        except (AwaitingApproval, RunError):
            pass  # paused, or failed: the journal says so

    def _finish(self, run_id: str, go: Callable[[], None]) -> None:
        """Do ``go`` unless the run is to stop; journal a cancellation; keep a problem that the
        journal cannot hold."""
        try:
            stop = self.pool.stop_reason(run_id)
            if stop is not None:
                raise stop
            go()
        except Stopping:
            return
        except RunCancelled:
            pass
        except AutanError as problem:
            self.pool.note_problem(run_id, f"{type(problem).__name__}: {problem}")
        stop = self.pool.stop_reason(run_id)
        if isinstance(stop, RunCancelled):
            self._journal_cancel(run_id, str(stop))

    def _journal_cancel(self, run_id: str, reason: str) -> None:
        events = self.store.load(run_id)
        if not _ended(events):
            self.store.append_regardless(run_id, len(events), RunFailed(CANCELLED, reason))


def _drain(events: Iterator[Event]) -> None:
    collections.deque(events, maxlen=0)


def _ended(events: list[Event]) -> bool:
    return bool(events) and isinstance(events[-1], FinalAnswer | RunFailed)
