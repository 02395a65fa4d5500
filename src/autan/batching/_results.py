"""``results.jsonl``: one line per finished task, appended (and synced) as each run ends.

It is also what a resumed batch reads to know which tasks are done. Only the batch's own
process writes it, one whole line at a time; a last line cut short by a kill is ignored (its task
is not done, and runs again from its journal).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from autan.result import RunResult

Status = Literal["completed", "failed", "limit", "awaiting_approval", "needs_decision", "error"]
"""``limit``: a ``Limits`` bound; ``needs_decision``: a resumed call of a tool that is not
idempotent (see ``ResumeNeedsDecision``); ``error``: the task could not run (a worker died too
often, the agent could not be built)."""

RESULTS_FILE = "results.jsonl"


@dataclass(frozen=True, slots=True)
class ResultLine:
    """What ``results.jsonl`` holds for one task."""

    id: str
    status: Status
    answer: str | None
    run_id: str | None
    seconds: float
    usage: dict[str, Any] = field(default_factory=dict)
    cost: float = 0.0
    error: str | None = None

    @classmethod
    def of(
        cls,
        task_id: str,
        status: Status,
        result: RunResult | None,
        seconds: float,
        error: str | None = None,
    ) -> ResultLine:
        usage = result.usage if result is not None else None
        return cls(
            id=task_id,
            status=status,
            answer=result.output if result is not None else None,
            run_id=result.run_id if result is not None else None,
            seconds=round(seconds, 4),
            usage={
                "prompt_tokens": usage.prompt_tokens,
                "completion_tokens": usage.completion_tokens,
                "cached_tokens": usage.cached_tokens,
            }
            if usage is not None
            else {},
            cost=result.cost_usd if result is not None else 0.0,
            error=error,
        )

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)


class ResultsFile:
    """Appends result lines to ``DIR/results.jsonl``, each one durable when ``append`` returns."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / RESULTS_FILE
        held = self.path.read_bytes() if self.path.exists() else b""
        cut_short = bool(held) and not held.endswith(b"\n")
        self._file = self.path.open("a", encoding="utf-8")
        if cut_short:  # a kill mid-line: end that line so the next one stands alone
            self._file.write("\n")

    def append(self, line: ResultLine) -> None:
        self._file.write(line.to_json() + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self) -> None:
        self._file.close()


def finished_ids(directory: Path) -> set[str]:
    """The ids ``results.jsonl`` in ``directory`` already holds a line for."""
    path = directory / RESULTS_FILE
    if not path.exists():
        return set()
    done: set[str] = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            value = json.loads(line)
        except json.JSONDecodeError:
            continue  # the end of a line cut short by a kill
        if isinstance(value, dict) and isinstance(value.get("id"), str):
            done.add(value["id"])
    return done
