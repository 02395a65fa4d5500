"""Run many entries (BFCL's, GSM8K's), ``workers`` at a time, appending each result as it
finishes; entries already in ``results.jsonl`` are skipped, so an interrupted run resumes where
it stopped."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol, TextIO, TypeVar

from autan.bench._progress import Progress
from autan.bench._results import ResultsWriter, read_results
from autan.bench._step import run_entry
from autan.models.base import Model

Outcome = tuple[dict[str, Any], str | None]


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
) -> tuple[list[dict[str, Any]], list[str]]:
    """All records of ``entries`` (earlier ones included) and the errors met in this run.

    ``run_one(model, entry)`` makes one entry's record (default: a BFCL entry's)."""
    path = out / "results.jsonl"
    earlier = {record["id"]: record for record in read_results(path)}
    todo = [entry for entry in entries if entry.id not in earlier]
    progress = Progress(len(todo), stream)
    writer = ResultsWriter(path)
    errors: list[str] = []
    try:
        for record, error in _outcomes(todo, make_model, workers, run_one):
            writer.write(record)
            earlier[record["id"]] = record
            if error:
                errors.append(f"{record['id']}: {error}")
            progress.advance(record["id"])
    finally:
        writer.close()
    return [earlier[entry.id] for entry in entries if entry.id in earlier], errors


def _outcomes(
    entries: list[Item], make_model: Callable[[], Model], workers: int, run_one: RunOne[Any]
) -> Iterator[Outcome]:
    if workers <= 1:
        model = make_model()
        yield from (run_one(model, entry) for entry in entries)
        return
    local = threading.local()

    def one(entry: Item) -> Outcome:
        if not hasattr(local, "model"):
            local.model = make_model()  # one model per worker: backends are not shared
        return run_one(local.model, entry)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        yield from pool.map(one, entries)
