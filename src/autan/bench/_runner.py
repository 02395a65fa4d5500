"""Run many entries (BFCL's, GSM8K's), appending each result as it finishes; entries already in
``results.jsonl`` are skipped, so an interrupted run resumes where it stopped.

The entries go through the batch machinery's one dispatcher (``autan.batching.dispatch``): in
this process for one worker, on ``workers`` worker processes (each loads its model once), or on
Ray actors. ``make_model`` and ``run_one`` must then pickle (module-level functions or classes).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TextIO, TypeVar

from autan.bench._progress import Progress
from autan.bench._results import ResultsWriter, read_results
from autan.bench._step import run_entry
from autan.models.base import Model

Outcome = tuple[dict[str, Any] | None, str | None]
"""An entry's record and its error; no record: the entry did not run (a later run tries it)."""


class HasId(Protocol):
    @property
    def id(self) -> str: ...


Item = TypeVar("Item", bound=HasId)
RunOne = Callable[[Model, Item], Outcome]


def run_bench(
    entries: Sequence[Item],
    make_model: Callable[[], Model],
    out: Path,
    workers: int = 1,
    stream: TextIO | None = None,
    run_one: RunOne[Any] = run_entry,
    ray: str | None = None,
) -> tuple[list[dict[str, Any]], list[str]]:
    """All records of ``entries`` (earlier ones included) and the errors met in this run.

    ``run_one(model, entry)`` makes one entry's record (default: a BFCL entry's). ``ray``: run
    on ``workers`` Ray actors (``"auto"``: a local Ray instance; ``"HOST:PORT"``: a cluster)."""
    from autan.batching import BatchTask, dispatch

    path = out / "results.jsonl"
    earlier = {record["id"]: record for record in read_results(path)}
    todo = [entry for entry in entries if entry.id not in earlier]
    progress = Progress(len(todo), stream)
    writer = ResultsWriter(path)
    errors: list[str] = []

    def record(outcome: Outcome) -> None:
        result, error = outcome
        if result is None:
            errors.append(error or "an entry did not run")
            progress.advance()
            return
        writer.write(result)
        earlier[result["id"]] = result
        if error:
            errors.append(f"{result['id']}: {error}")
        progress.advance(result["id"])

    setup = BenchSetup({entry.id: entry for entry in todo}, make_model, run_one)
    jobs = [(BatchTask(entry.id, entry.id), entry.id) for entry in todo]
    try:
        dispatch(jobs, setup, workers, 1, ray, record, in_process=workers == 1 and ray is None)
    finally:
        writer.close()
    return [earlier[entry.id] for entry in entries if entry.id in earlier], errors


@dataclass(frozen=True, slots=True)
class BenchSetup:
    """The batch machinery's setup for a benchmark: each worker makes its model once."""

    entries: dict[str, Any]
    make_model: Callable[[], Model]
    run_one: RunOne[Any]

    def build(self) -> BenchWorker:
        return BenchWorker(self)

    def failed(self, task_id: str, error: str) -> tuple[None, str]:
        """No record (a later run tries the entry again), only the error."""
        return None, f"{task_id}: {error}"


class BenchWorker:
    def __init__(self, setup: BenchSetup) -> None:
        self.setup = setup
        self.model = setup.make_model()

    def perform(self, task: Any, run_id: str) -> Outcome:
        return self.setup.run_one(self.model, self.setup.entries[task.id])

    def close(self) -> None:
        """The model goes with the worker."""
