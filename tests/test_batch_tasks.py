"""The tasks file of a batch: each line a task, bad lines reported by number, ids unique."""

from __future__ import annotations

from pathlib import Path

import pytest

from autan.batching import parse_tasks, read_tasks
from autan.errors import ConfigurationError


def test_lines_become_tasks_with_ids_and_options() -> None:
    tasks, bad = parse_tasks(
        [
            "What is 2 + 2?",
            '"a JSON string task"',
            "",
            '{"task": "t", "id": "mine", "max_steps": 3, "instructions": "Be brief."}',
            '{"task": "u", "id": 7}',
            '"Quoted" is what he said',
        ]
    )
    assert bad == []
    assert [(t.id, t.task, t.line) for t in tasks] == [
        ("line-1", "What is 2 + 2?", 1),
        ("line-2", "a JSON string task", 2),
        ("mine", "t", 4),
        ("7", "u", 5),
        ("line-6", '"Quoted" is what he said', 6),
    ]
    assert tasks[2].options == {"max_steps": 3, "instructions": "Be brief."}


def test_bad_lines_are_reported_by_number_and_the_rest_are_tasks() -> None:
    tasks, bad = parse_tasks(
        [
            "first",
            '{"task": "unterminated',
            '{"id": "x"}',
            "[1, 2]",
            '{"task": "t", "colour": "red"}',
            '{"task": "t", "max_steps": "ten"}',
            '{"task": "   "}',
            "last",
        ]
    )
    assert [t.task for t in tasks] == ["first", "last"]
    assert [b.line for b in bad] == [2, 3, 4, 5, 6, 7]
    assert "not valid JSON" in str(bad[0])
    assert str(bad[3]).startswith("line 5: unknown option 'colour'")


def test_a_duplicate_id_is_a_bad_line_naming_the_first() -> None:
    tasks, bad = parse_tasks(['{"task": "a", "id": "q1"}', '{"task": "b", "id": "q1"}'])
    assert [t.task for t in tasks] == ["a"]
    assert str(bad[0]) == "line 2: duplicate task id 'q1' (first on line 1)"


def test_an_unreadable_tasks_file_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="cannot read the tasks file"):
        read_tasks(tmp_path / "missing.jsonl")
    (tmp_path / "binary.jsonl").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ConfigurationError, match="cannot read the tasks file"):
        read_tasks(tmp_path / "binary.jsonl")
