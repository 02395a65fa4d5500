"""The progress bar of ``autan batch``: done/total, tasks per minute, elapsed and ETA (rich).

rich draws it on a terminal; elsewhere (CI logs, pipes) there is the summary line only.
"""

from __future__ import annotations

import time
from types import TracebackType
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from autan.batching import ResultLine


class BatchProgress:
    def __init__(self, stream: TextIO) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._progress = Progress(
            TextColumn("batch"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]} tasks/min"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            TextColumn("{task.fields[failed]}"),
            console=(console := Console(file=stream)),
            disable=not console.is_terminal,
        )
        self._task = self._progress.add_task("batch", total=None, rate="-", failed="")
        self._started = time.perf_counter()
        self._done = 0
        self._failed = 0

    def start(self, total: int) -> None:
        self._started = time.perf_counter()
        self._progress.update(self._task, total=total)

    def advance(self, line: ResultLine) -> None:
        self._done += 1
        self._failed += line.status != "completed"
        minutes = (time.perf_counter() - self._started) / 60
        rate = f"{self._done / minutes:.1f}" if minutes > 0 else "-"
        failed = f"{self._failed} not completed" if self._failed else ""
        self._progress.update(self._task, advance=1, rate=rate, failed=failed)

    def __enter__(self) -> BatchProgress:
        self._progress.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._progress.stop()
