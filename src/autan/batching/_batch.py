"""``batch()``: many tasks, each a journaled run, results appended to ``DIR/results.jsonl``.

The batch directory holds ``batch.json`` (the batch's key, from which every task's run id is
made, and where its journal is), ``results.jsonl``, and by default the journal itself
(``journal.sqlite3``). Calling ``batch`` again with the same directory skips the tasks that
have a result line and resumes the others from their journals. A batch holds the directory's
lease in its journal (``store/_lease.py``) while it runs, so a second ``batch`` on the same
directory is refused (``RunInProgress``) instead of running its tasks a second time.
"""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import secrets
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autan.batching._results import ResultLine, ResultsFile, finished_ids
from autan.batching._summary import BatchSummary
from autan.batching._tasks import BadLine, BatchTask, read_tasks, tasks_of
from autan.batching._work import AgentFactory, Setup, WorkerSetup, run_id_for
from autan.errors import ConfigurationError, RunInProgress, StoreError

if TYPE_CHECKING:
    from autan.store import Store

TaskSource = str | Path | Iterable[str | Mapping[str, Any] | BatchTask]
STATE_FILE = "batch.json"


def batch(
    tasks: TaskSource,
    out: str | Path,
    *,
    agent: AgentFactory | None = None,
    model: str = "local",
    workers: int = 1,
    threads: int = 1,
    max_in_flight: int | None = None,
    ray: str | None = None,
    store: str | None = None,
    on_result: Callable[[ResultLine], None] | None = None,
    on_start: Callable[[int], None] | None = None,
) -> BatchSummary:
    """Run every task of ``tasks`` (a JSON-lines file, or texts/mappings) to ``out``.

    ``agent`` builds each worker's agent from the store it is given (default: ``model`` with the
    built-in tools on the current directory). ``workers`` processes each build it once and run
    one task at a time (for the embedded model); ``threads`` > 1 runs that many at once in this
    process instead (for a model server), with at most ``max_in_flight`` requests to one server
    at a time. ``ray``: ``"auto"`` starts a local Ray instance, ``"HOST:PORT"`` joins a cluster;
    ``workers`` is then the number of actors. ``store``: the journal (default
    ``out/journal.sqlite3``; a ``postgresql://`` URL for workers on several machines).
    ``on_start`` receives the number of tasks to run, ``on_result`` each line as it is written.
    """
    _check_counts(workers, threads, max_in_flight)
    if ray is not None and ray != "auto":
        from autan.batching._ray import check_reachable

        check_reachable(ray)
    directory = Path(out)
    key, location = _batch_state(directory, store)
    todo, bad = _read(tasks)
    summary = BatchSummary(tasks=len(todo), bad_lines=bad)
    setup = WorkerSetup(agent or BuiltinAgent(model), location, _in_flight(threads, max_in_flight))
    with _directory_lease(directory, key, location):
        done = finished_ids(directory)
        jobs = [(t, run_id_for(key, t.id)) for t in todo if t.id not in done]
        summary.skipped = len(todo) - len(jobs)
        if on_start is not None:
            on_start(len(jobs))
        results = ResultsFile(directory)

        def record(line: ResultLine) -> None:
            results.append(line)
            summary.add(line)
            if on_result is not None:
                on_result(line)

        started = time.perf_counter()
        try:
            dispatch(jobs, setup, workers, threads, ray, record)
        finally:
            results.close()
            summary.seconds = time.perf_counter() - started
    return summary


def dispatch(
    jobs: list[tuple[BatchTask, str]],
    setup: Setup,
    workers: int,
    threads: int,
    ray: str | None,
    record: Callable[[Any], None],
    in_process: bool = False,
) -> None:
    """The one place that chooses how tasks run: on Ray, on threads, or on worker processes
    (``autan batch`` and ``autan bench`` both dispatch here). ``in_process``: on ``threads``
    threads of this process even for one thread (else one thread means worker processes)."""
    if not jobs:
        return
    if ray is not None:
        from autan.batching._ray import run_on_ray

        run_on_ray(jobs, setup, workers, ray, record)
        return
    from autan.batching._local import run_in_processes, run_in_threads

    if threads > 1 or in_process:
        run_in_threads(jobs, setup, threads, record)
        return
    _check_pickles(setup)
    run_in_processes(jobs, setup, workers, record)


def _read(tasks: TaskSource) -> tuple[list[BatchTask], list[BadLine]]:
    if isinstance(tasks, str | Path):
        return read_tasks(tasks)
    return tasks_of(tasks)


def _batch_state(directory: Path, store: str | None) -> tuple[str, str]:
    """The batch's key and journal location: recorded on the first call, read on the next."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as problem:
        raise ConfigurationError(
            f"cannot use {directory} as the batch directory: {problem}"
        ) from None
    path = directory / STATE_FILE
    if not path.exists():
        _write_once(
            path, {"key": secrets.token_hex(6), "store": store or _default_store(directory)}
        )
    state = json.loads(path.read_text(encoding="utf-8"))
    recorded = str(state["store"])
    if store is not None and store != recorded:
        raise ConfigurationError(
            f"{directory} is a batch journaled in {recorded}; give the same --store or none"
        )
    return str(state["key"]), recorded


def _default_store(directory: Path) -> str:
    return str(directory.resolve() / "journal.sqlite3")


def _write_once(path: Path, state: dict[str, str]) -> None:
    """Write ``path`` unless another batch got there first (a link is atomic: one key wins)."""
    draft = path.with_name(f".{path.name}.{os.getpid()}")
    draft.write_text(json.dumps(state) + "\n", encoding="utf-8")
    try:
        os.link(draft, path)
    except FileExistsError:
        pass
    finally:
        draft.unlink()


@contextlib.contextmanager
def _directory_lease(directory: Path, key: str, location: str) -> Iterator[None]:
    """Hold the batch's lease in its journal while the batch runs. A lease belongs to a run, so
    the batch is recorded as a run without events, ``batch-KEY`` (``autan runs`` lists it)."""
    from autan.store import open_store
    from autan.store._lease import LEASE_SECONDS, HeldLease, Holder, new_token, stale

    run_id, token = f"batch-{key}", new_token()
    with open_store(location) as store:
        _record_batch_run(store, run_id, directory)
        current = store.take_lease(run_id, token, Holder.this_process(), stale(LEASE_SECONDS))
        if current is not None:
            raise RunInProgress(f"another batch is running {directory} ({current.describe()})")
        lease = HeldLease(store, run_id, token)
        try:
            yield
        finally:
            lease.release()


def _record_batch_run(store: Store, run_id: str, directory: Path) -> None:
    from autan.store import BATCH_KEY

    try:
        store.info(run_id)
    except ConfigurationError:
        with contextlib.suppress(StoreError):  # another batch recorded it at the same moment
            store.create_run(run_id, {BATCH_KEY: str(directory.resolve())})


def _in_flight(threads: int, max_in_flight: int | None) -> int | None:
    """Many runs against one server are bounded by default: 4 requests in flight."""
    if max_in_flight is None and threads > 1:
        return 4
    return max_in_flight


def _check_counts(workers: int, threads: int, max_in_flight: int | None) -> None:
    for name, value in (
        ("workers", workers),
        ("threads", threads),
        ("max_in_flight", max_in_flight),
    ):
        if value is not None and value < 1:
            raise ConfigurationError(f"{name} must be at least 1, got {value}")
    if workers > 1 and threads > 1:
        raise ConfigurationError("give workers (processes) or threads, not both")


def _check_pickles(setup: Setup) -> None:
    try:
        pickle.dumps(setup)
    except (pickle.PicklingError, AttributeError, TypeError) as problem:
        raise ConfigurationError(
            f"the agent factory must pickle to reach worker processes (a module-level function "
            f"or class): {problem}"
        ) from None


class BuiltinAgent:
    """The default factory: ``model`` with the built-in tools on the current directory."""

    def __init__(self, model: str) -> None:
        self.model = model
        self.workspace = str(Path.cwd())

    def __call__(self, store: Any) -> Any:
        from autan.agent import Agent
        from autan.tools.builtin import builtin_tools

        return Agent(self.model, builtin_tools(self.workspace), store=store)
