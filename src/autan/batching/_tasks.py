"""The tasks of a batch: one per line of a JSON-lines file, read with their line numbers.

A line is a JSON string (the task), an object ``{"task": ..., "id": ..., <options>}``, or, when
it is not JSON (and does not begin with ``{``), the line's text itself. A task without an ``id``
is named by its line (``line-7``). A line that cannot be a task (an object without a task, an
unknown option, an id already used) is a ``BadLine``: reported with its number, while the rest
of the batch goes on.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autan.errors import ConfigurationError

OPTIONS: Mapping[str, type | tuple[type, ...]] = {
    "max_steps": int,
    "max_total_tokens": int,
    "max_wall_seconds": (int, float),
    "instructions": str,
}
"""What a line may set for its own run, and the JSON type each takes."""


@dataclass(frozen=True, slots=True)
class BatchTask:
    """One task of a batch: its id (unique in the batch), its text, and its own options."""

    id: str
    task: str
    options: dict[str, Any] = field(default_factory=dict)
    line: int = 0


@dataclass(frozen=True, slots=True)
class BadLine:
    """A line that is not a task, and why."""

    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


def read_tasks(path: str | Path) -> tuple[list[BatchTask], list[BadLine]]:
    """The tasks of the file at ``path`` and its bad lines; an unreadable file raises
    ``ConfigurationError``."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as problem:
        raise ConfigurationError(f"cannot read the tasks file {path}: {problem}") from None
    return parse_tasks(text.splitlines())


def parse_tasks(lines: Iterable[str]) -> tuple[list[BatchTask], list[BadLine]]:
    """Tasks from lines (numbered from 1); blank lines are skipped, bad ones collected."""
    tasks: list[BatchTask] = []
    bad: list[BadLine] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            task = _task_of(line, number)
        except ValueError as problem:
            bad.append(BadLine(number, str(problem)))
            continue
        if task.id in seen:
            bad.append(
                BadLine(number, f"duplicate task id {task.id!r} (first on line {seen[task.id]})")
            )
            continue
        seen[task.id] = number
        tasks.append(task)
    return tasks, bad


def tasks_of(
    items: Iterable[str | Mapping[str, Any] | BatchTask],
) -> tuple[list[BatchTask], list[BadLine]]:
    """Tasks given in Python (texts, mappings or ``BatchTask``s), checked as lines are."""
    lines = [
        json.dumps({"id": i.id, "task": i.task, **i.options})
        if isinstance(i, BatchTask)
        else json.dumps(i if isinstance(i, str) else dict(i))
        for i in items
    ]
    return parse_tasks(lines)


def _task_of(line: str, number: int) -> BatchTask:
    try:
        value: Any = json.loads(line)
    except json.JSONDecodeError:
        if line.lstrip().startswith("{"):
            raise ValueError("not valid JSON (a task object was begun)") from None
        value = line.strip()
    if isinstance(value, str):
        return BatchTask(f"line-{number}", _text(value), {}, number)
    if not isinstance(value, dict):
        raise ValueError(f"a task is a string or an object, not {type(value).__name__}")
    return _task_of_object(value, number)


def _task_of_object(value: dict[str, Any], number: int) -> BatchTask:
    task = value.pop("task", None)
    if not isinstance(task, str):
        raise ValueError('an object needs "task", a string')
    task_id = value.pop("id", f"line-{number}")
    if isinstance(task_id, int) and not isinstance(task_id, bool):
        task_id = str(task_id)
    if not isinstance(task_id, str) or not task_id.strip():
        raise ValueError('"id" must be a non-empty string or an integer')
    for name, option in value.items():
        expected = OPTIONS.get(name)
        if expected is None:
            raise ValueError(f"unknown option {name!r} (known: id, task, {', '.join(OPTIONS)})")
        if not isinstance(option, expected) or isinstance(option, bool):
            raise ValueError(f"option {name!r} has the wrong type: {option!r}")
    return BatchTask(task_id, _text(task), value, number)


def _text(task: str) -> str:
    if not task.strip():
        raise ValueError("the task is empty")
    return task
