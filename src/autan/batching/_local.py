"""A batch on this machine: worker processes (each with its own agent and model) or threads.

Processes suit the embedded model: each loads it once and runs one task at a time. Threads suit
a model server: many runs wait on the network at once, bounded per server (``_in_flight``).
Each worker process is pinned to its share of the CPUs, each thread's model takes its share as
a count (``_cpus``).

A worker process that dies (killed, out of memory) breaks a ``ProcessPoolExecutor``; the pool is
then started again and every task not yet finished is handed out anew: each is resumed from its
journal, so none is lost and no recorded tool call runs twice. A task that was in flight through
more than ``max_task_retries`` deaths is given up (status ``error``).
"""

from __future__ import annotations

import concurrent.futures as futures
import contextlib
import itertools
import multiprocessing
import queue
import threading
from collections.abc import Callable, Iterable
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from autan.batching._cpus import pin, shares
from autan.batching._tasks import BatchTask
from autan.batching._work import Performer, Setup
from autan.errors import AutanError
from autan.models.threads import cpu_share, usable_cpus

Job = tuple[BatchTask, str]
"""A task and its run id."""
OnResult = Callable[[Any], None]

_worker: Built | None = None
"""This worker process's performer, or why it could not be built."""


def run_in_threads(jobs: Iterable[Job], setup: Setup, threads: int, on_result: OnResult) -> None:
    """Up to ``threads`` runs at once in this process; each thread builds its own worker, whose
    model takes that thread's share of the process's CPUs."""
    local = threading.local()
    made: list[Built] = []
    lock = threading.Lock()
    sizes = [len(share) for share in shares(usable_cpus(), threads)]
    claims = itertools.count()

    def perform(job: Job) -> Any:
        worker = getattr(local, "worker", None)
        if worker is None:
            with cpu_share(sizes[next(claims) % len(sizes)]):
                worker = local.worker = built(setup)
            with lock:
                made.append(worker)
        return perform_on(worker, job)

    try:
        with futures.ThreadPoolExecutor(threads, thread_name_prefix="autan-batch") as pool:
            for done in futures.as_completed([pool.submit(perform, job) for job in jobs]):
                on_result(done.result())
    finally:
        for worker in made:
            worker.close()


def run_in_processes(
    jobs: Iterable[Job],
    setup: Setup,
    processes: int,
    on_result: OnResult,
    max_task_retries: int = 3,
) -> None:
    """``processes`` worker processes; a pool broken by a death is started again."""
    pending = {task.id: (task, run_id) for task, run_id in jobs}
    deaths: dict[str, int] = dict.fromkeys(pending, 0)
    while pending:
        broken = _one_pool(pending, setup, processes, on_result)
        for task_id in broken:
            deaths[task_id] += 1
            if deaths[task_id] > max_task_retries:
                pending.pop(task_id)
                error = f"its worker process died {deaths[task_id]} times"
                on_result(setup.failed(task_id, error))


def _one_pool(
    pending: dict[str, Job], setup: Setup, processes: int, on_result: OnResult
) -> list[str]:
    """Run the pending jobs in one pool; the ids still pending when a worker died."""
    context = multiprocessing.get_context("spawn")
    cpus: multiprocessing.Queue[frozenset[int]] = context.Queue()
    for share in shares(usable_cpus(), processes):
        cpus.put(share)
    with futures.ProcessPoolExecutor(
        processes, mp_context=context, initializer=_start_worker, initargs=(setup, cpus)
    ) as pool:
        submitted = {pool.submit(_perform, job): job[0].id for job in pending.values()}
        try:
            for done in futures.as_completed(submitted):
                _finish(pending, submitted[done], done.result(), on_result)
        except BrokenProcessPool:
            for done, task_id in submitted.items():
                if done.done() and done.exception() is None and task_id in pending:
                    _finish(pending, task_id, done.result(), on_result)
            return list(pending)
    return []


def _finish(pending: dict[str, Job], task_id: str, line: Any, on_result: OnResult) -> None:
    pending.pop(task_id, None)
    on_result(line)


def _start_worker(setup: Setup, cpus: multiprocessing.Queue[frozenset[int]]) -> None:
    """In each worker process: die with the batch process, take the next share of the CPUs
    and run on those only, then build the worker once."""
    global _worker
    _die_with_parent()
    with contextlib.suppress(queue.Empty):  # a pool starts no more workers than shares
        pin(cpus.get(timeout=5))
    _worker = built(setup)


def _perform(job: Job) -> Any:
    if _worker is None:
        raise RuntimeError("the worker process was not started")
    return perform_on(_worker, job)


class Built:
    """A worker's performer, or why it could not be built (each of its tasks then says so)."""

    def __init__(self, setup: Setup, performer: Performer | None, problem: str = "") -> None:
        self.setup = setup
        self.performer = performer
        self.problem = problem

    def close(self) -> None:
        if self.performer is not None:
            self.performer.close()


def built(setup: Setup) -> Built:
    try:
        return Built(setup, setup.build())
    except AutanError as problem:
        return Built(
            setup, None, f"the agent could not be built: {type(problem).__name__}: {problem}"
        )


def perform_on(worker: Built, job: Job) -> Any:
    if worker.performer is None:
        return worker.setup.failed(job[0].id, worker.problem)
    return worker.performer.perform(*job)


def _die_with_parent() -> None:
    """A worker left behind by a killed batch would go on writing journals that the resumed
    batch continues too; Linux's parent-death signal ends it with its parent."""
    import ctypes
    import os
    import signal

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() == 1:  # the parent died before the signal was set
        os._exit(1)
