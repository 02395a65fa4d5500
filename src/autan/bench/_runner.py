"""Run many entries, ``workers`` at a time, appending each result as it finishes; entries
already in ``results.jsonl`` are skipped, so an interrupted run resumes where it stopped."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TextIO

from autan.bench._data import Entry
from autan.bench._progress import Progress
from autan.bench._results import ResultsWriter, read_results
from autan.bench._step import run_entry
from autan.models.base import Model

Outcome = tuple[dict[str, Any], str | None]


def run_bench(
    entries: list[Entry],
    make_model: Callable[[], Model],
    out: Path,
    workers: int = 1,
    stream: TextIO | None = None,
) -> tuple[list[dict[str, Any]], list[str]]:
    """All records of ``entries`` (earlier ones included) and the errors met in this run."""
    path = out / "results.jsonl"
    earlier = {record["id"]: record for record in read_results(path)}
    todo = [entry for entry in entries if entry.id not in earlier]
    progress = Progress(len(todo), stream)
    writer = ResultsWriter(path)
    errors: list[str] = []
    try:
        for record, error in _outcomes(todo, make_model, workers):
            writer.write(record)
            earlier[record["id"]] = record
            if error:
                errors.append(f"{record['id']}: {error}")
            progress.advance(record["id"])
    finally:
        writer.close()
    return [earlier[entry.id] for entry in entries if entry.id in earlier], errors


def _outcomes(
    entries: list[Entry], make_model: Callable[[], Model], workers: int
) -> Iterator[Outcome]:
    if workers <= 1:
        model = make_model()
        yield from (run_entry(model, entry) for entry in entries)
        return
    local = threading.local()

    def one(entry: Entry) -> Outcome:
        if not hasattr(local, "model"):
            local.model = make_model()  # one model per worker: backends are not shared
        return run_entry(local.model, entry)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        yield from pool.map(one, entries)
