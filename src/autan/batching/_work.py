"""One task in the worker that holds it: started, or continued from its journal.

Every way of running a batch (threads, worker processes, Ray actors) goes through ``Worker``:
it opens the store and builds the agent once (so an embedded model loads once per worker), then
performs tasks one at a time. A task's run id is fixed by the batch (``run_id_for``), so a task
that a killed worker left half done is found in the journal and resumed, never started twice.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from autan.batching._results import ResultLine, Status
from autan.batching._tasks import BatchTask
from autan.errors import (
    AutanError,
    AwaitingApproval,
    ConfigurationError,
    LimitExceeded,
    ResumeNeedsDecision,
    RunError,
    RunInProgress,
)
from autan.result import RunResult

if TYPE_CHECKING:
    from autan.agent import Agent
    from autan.store import Store

AgentFactory = Callable[["Store"], "Agent"]
"""Builds a worker's agent on the store it is given; called once per worker. It must pickle
(a module-level function or class) to reach worker processes and Ray actors."""


class Performer(Protocol):
    """What each worker (a thread, a process, a Ray actor) holds: built once, then given its
    tasks one at a time; what ``perform`` returns is handed to the batch's ``on_result``."""

    def perform(self, task: BatchTask, run_id: str) -> Any: ...

    def close(self) -> None: ...


class Setup(Protocol):
    """How every worker builds its ``Performer``, and the outcome of a task that could not run
    (its worker could not be built, or died too often). It must pickle for worker processes."""

    def build(self) -> Performer: ...

    def failed(self, task_id: str, error: str) -> Any: ...


@dataclass(frozen=True, slots=True)
class WorkerSetup:
    """A batch's workers: how to build the agent, where the journal is, and the bound on
    requests in flight to one model server (``None``: unbounded)."""

    factory: AgentFactory
    store: str
    max_in_flight: int | None = None

    def build(self) -> Worker:
        return Worker(self)

    def failed(self, task_id: str, error: str) -> ResultLine:
        return ResultLine.of(task_id, "error", None, 0.0, error)


def run_id_for(batch_key: str, task_id: str) -> str:
    """The run id of task ``task_id`` in the batch keyed ``batch_key``, the same on every try."""
    return f"{batch_key}-{hashlib.sha256(task_id.encode()).hexdigest()[:16]}"


class Worker:
    """A store and an agent, built once; ``perform`` runs one task to its result line."""

    def __init__(self, setup: WorkerSetup) -> None:
        from autan.store import open_store

        self.store = open_store(setup.store)
        self.agent = setup.factory(self.store)
        if self.agent.store is None:
            self.agent.store = self.store
        if setup.max_in_flight is not None:
            from autan.batching._in_flight import limited

            self.agent.model = limited(self.agent.model, setup.max_in_flight)

    def perform(self, task: BatchTask, run_id: str) -> ResultLine:
        started = time.perf_counter()
        try:
            result = run_or_resume(with_options(self.agent, task), task, run_id)
        except RunError as failure:
            seconds = time.perf_counter() - started
            return ResultLine.of(task.id, status_of(failure), failure.result, seconds, str(failure))
        except AutanError as failure:
            seconds = time.perf_counter() - started
            error = f"{type(failure).__name__}: {failure}"
            return ResultLine.of(task.id, "error", None, seconds, error)
        return ResultLine.of(task.id, "completed", result, time.perf_counter() - started)

    def close(self) -> None:
        self.store.close()


def run_or_resume(
    agent: Agent, task: BatchTask, run_id: str, patience: float | None = None
) -> RunResult:
    """Resume run ``run_id`` where the journal has it (a finished one returns its result), else
    start it; the run's lease is claimed first, so two workers never continue one run.

    A task retried after its worker died on another machine (a Ray node) finds the run's lease
    live until its last heartbeat is ``LEASE_SECONDS`` old (the store cannot see that a process
    there is gone): it waits that out, ``patience`` seconds at most (default: the lease's life
    and two heartbeats), then resumes. A holder still renewing by then is alive: the task fails
    with ``RunInProgress``."""
    from autan.store import HEARTBEAT_SECONDS, LEASE_SECONDS

    waited = LEASE_SECONDS + 2 * HEARTBEAT_SECONDS if patience is None else patience
    deadline = time.monotonic() + waited
    while True:
        try:
            return _run_or_resume(agent, task, run_id)
        except RunInProgress:
            if time.monotonic() >= deadline:
                raise
            time.sleep(min(HEARTBEAT_SECONDS, max(0.0, deadline - time.monotonic())))


def _run_or_resume(agent: Agent, task: BatchTask, run_id: str) -> RunResult:
    if agent.store is None:
        raise ConfigurationError("a batch's agent needs a store")
    try:
        agent.store.info(run_id)
    except ConfigurationError:
        return agent.run(task.task, run_id=run_id)
    return agent.resume(run_id)


def with_options(agent: Agent, task: BatchTask) -> Agent:
    """``agent`` with the task's own limits and instructions (a copy; ``agent`` is unchanged)."""
    if not task.options:
        return agent
    options = dict(task.options)
    instructions = options.pop("instructions", agent.instructions)
    mine = copy.copy(agent)
    mine.instructions = instructions
    mine.limits = dataclasses.replace(agent.limits, **options)
    return mine


def status_of(failure: RunError) -> Status:
    if isinstance(failure, LimitExceeded):
        return "limit"
    if isinstance(failure, AwaitingApproval):
        return "awaiting_approval"
    if isinstance(failure, ResumeNeedsDecision):
        return "needs_decision"
    return "failed"
