"""What the server does to runs: start, continue, decide, cancel, recover on start. Every run is
executed by the pool and journaled through the ``WatchedStore``."""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator, Iterator, Mapping
from typing import Any

from autan.agent import Agent
from autan.errors import (
    AutanError,
    AwaitingApproval,
    ConfigurationError,
    ResumeNeedsDecision,
    RunCancelled,
    RunError,
    RunInProgress,
)
from autan.events import ChildEvent, Event, FinalAnswer, RunFailed, TextDelta
from autan.ids import new_run_id
from autan.result import RunResult
from autan.serve._hub import Hub
from autan.serve._pool import PoolFull, RunPool, Stopping
from autan.serve._source import AgentSource, RunSpec
from autan.serve._stream import Tails
from autan.serve._views import CANCELLED
from autan.serve._watched import WatchedStore
from autan.store import HeldLease, Store, answer, decide
from autan.tools import ReplyAction

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
        self.agents = agents

    def start(self, spec: RunSpec, labels: Mapping[str, str] | None = None) -> str:
        """Journal a new run (``labels`` in its configuration) and queue it; its id once its
        first event is durable."""
        if self.pool.full():
            raise PoolFull("too many runs are waiting")
        agent = self.agents.new(spec, self.store)
        agent.metadata.update({**(labels or {}), SERVED_KEY: True})
        run_id = new_run_id()
        try:
            earlier = self._answered(agent, spec.after) if spec.after else None
            events = agent.stream(spec.task, run_id=run_id, after=earlier)
            next(events)  # RunStarted: journaled (and the run's lease held) before it is queued
        except BaseException:
            agent.close()
            raise
        try:
            self.pool.submit(run_id, self._started(run_id, events, agent))
        except Exception:
            events.close()  # gives the lease back: the run is left to resume
            agent.close()
            raise
        return run_id

    def _answered(self, agent: Agent, run_id: str) -> RunResult:
        """The result of answered run ``run_id``, its transcript rebuilt from the journal."""
        if self.store.info(run_id).status != "completed":
            raise Conflict(f"run {run_id} has no answer to follow up on")
        return agent.resume(run_id)

    def resume(self, run_id: str) -> None:
        """Continue a run that neither ended nor waits for a decision."""
        status = self.store.info(run_id).status
        if status != "interrupted":
            raise Conflict(f"run {run_id} is {status.replace('_', ' ')}; nothing to resume")
        self._held(run_id)
        self._submit_held(run_id, self._resumption(run_id))

    def decide(self, run_id: str, approved: bool, reason: str) -> None:
        """Journal the decision on the call the run waits for, then continue the run."""
        in_pool = self.pool.state(run_id) is not None  # it gives its lease back as it pauses
        if not in_pool:
            self._held(run_id)
        try:
            decide(self.store, run_id, approved, reason)
        except ConfigurationError as problem:
            self.store.let_go(run_id)
            raise Conflict(str(problem)) from None
        self._submit_held(run_id, self._resumption(run_id), after_current=True)

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
        if self.pool.cancel(run_id, why):
            return
        held = self._held(run_id)
        try:
            self._journal_cancel(run_id, why, held.token)
        finally:
            self.store.let_go(run_id)

    def recover(self) -> list[str]:
        """Queue again the served runs that did not finish (their server crashed), except
        those another live server holds."""
        unfinished = [
            info.run_id
            for info in self.store.runs()
            if info.config.get(SERVED_KEY) and info.status == "interrupted"
        ]
        queued: list[str] = []
        for n, run_id in enumerate(unfinished):
            try:
                self.store.hold(run_id)
                self._submit_held(run_id, self._resumption(run_id))
            except RunInProgress:
                continue  # another server took it first
            except PoolFull:
                log.warning(
                    "%d unfinished runs left for later: the queue is full", len(unfinished) - n
                )
                break
            queued.append(run_id)
        return queued

    def _held(self, run_id: str) -> HeldLease:
        """The run's lease, held for this server; 409 while another process holds it."""
        try:
            return self.store.hold(run_id)
        except RunInProgress as busy:
            raise Conflict(f"{busy}; another server or process runs it, ask that one") from None

    def _submit_held(self, run_id: str, work: Callable[[], None], **how: bool) -> None:
        try:
            self.pool.submit(run_id, work, **how)
        except Exception:
            self.store.let_go(run_id)
            raise

    def _started(
        self, run_id: str, events: Generator[Event, None, object], agent: Agent
    ) -> Callable[[], None]:
        def work() -> None:
            try:
                self._finish(run_id, lambda: self._relay(run_id, events))
            finally:
                events.close()  # a run stopped before it began gives its lease back too
                agent.close()  # its MCP connections

        return work

    def _relay(self, run_id: str, events: Iterator[Event]) -> None:
        """Run the run; its text deltas and its child runs' events (which its journal does not
        keep) go to followers."""
        for event in events:
            if isinstance(event, TextDelta | ChildEvent):
                self.hub.publish(run_id, event)

    def _resumption(self, run_id: str) -> Callable[[], None]:
        return lambda: self._finish(run_id, lambda: self._resume_now(run_id))

    def _resume_now(self, run_id: str) -> None:
        agent = self.agents.existing(run_id, self.store.info(run_id).config, self.store)
        try:
            agent.resume(run_id)
        except ResumeNeedsDecision:
            raise
        except (AwaitingApproval, RunError):
            pass  # paused, or failed: the journal says so
        finally:
            agent.close()

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
        finally:
            self.store.let_go(run_id)  # a lease held for work that never claimed it
        stop = self.pool.stop_reason(run_id)
        if isinstance(stop, RunCancelled):
            self._journal_cancel(run_id, str(stop))

    def _journal_cancel(self, run_id: str, reason: str, lease: str | None = None) -> None:
        events = self.store.load(run_id)
        if not _ended(events):
            self.store.append_regardless(run_id, len(events), RunFailed(CANCELLED, reason), lease)


def _ended(events: list[Event]) -> bool:
    return bool(events) and isinstance(events[-1], FinalAnswer | RunFailed)
