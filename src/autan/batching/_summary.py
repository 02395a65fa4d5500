"""What a batch did, added up from its result lines."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from autan.batching._results import ResultLine
from autan.batching._tasks import BadLine


@dataclass
class BatchSummary:
    """Counts by status of this call's runs; ``skipped``: tasks a previous call finished."""

    tasks: int = 0
    skipped: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    bad_lines: list[BadLine] = field(default_factory=list)
    seconds: float = 0.0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0

    def add(self, line: ResultLine) -> None:
        self.statuses[line.status] += 1
        self.prompt_tokens += int(line.usage.get("prompt_tokens", 0))
        self.completion_tokens += int(line.usage.get("completion_tokens", 0))
        self.cost += line.cost

    @property
    def ran(self) -> int:
        return sum(self.statuses.values())

    @property
    def completed(self) -> int:
        return self.statuses["completed"]

    @property
    def ok(self) -> bool:
        """Every task answered and every line was a task."""
        return not self.bad_lines and self.completed == self.ran

    @property
    def tasks_per_minute(self) -> float:
        return 60.0 * self.ran / self.seconds if self.seconds > 0 else 0.0

    def line(self) -> str:
        counts = ", ".join(f"{n} {status}" for status, n in sorted(self.statuses.items()))
        parts = [
            f"{self.tasks} tasks: {counts or 'none run'}",
            *([f"{self.skipped} already done"] if self.skipped else []),
            *([f"{len(self.bad_lines)} bad lines"] if self.bad_lines else []),
            f"{self.seconds:.1f} s",
            f"{self.tasks_per_minute:.1f} tasks/min",
            f"{self.prompt_tokens}+{self.completion_tokens} tokens",
            *([f"${self.cost:.4f}"] if self.cost else []),
        ]
        return " · ".join(parts)
