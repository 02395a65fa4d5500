"""The ``grounded`` decoding (issue 18): path parameters held, in the grammar only, to the paths
the task names, and a defaulted path left out where it names none. No model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from autan.messages import Message, ModelRequest
from autan.models.decoding import ground, grounded, task_paths
from autan.protocols import CONSTRAINED, JsonOutput
from autan.tools.builtin import builtin_tools


def test_the_paths_a_task_names() -> None:
    assert task_paths("Read notes.txt and tell me its second line.") == ["notes.txt"]
    assert task_paths("Read a.txt and write its content to b.txt.") == ["a.txt", "b.txt"]
    assert task_paths("List docs/ and src/a.py, then docs/ again.") == ["docs/", "src/a.py"]
    assert task_paths("Which files are in the current directory?") == []
    assert task_paths("What is 3.5 plus 2?") == []  # a number is not a path


def _arguments(schema: dict[str, Any], tool: str) -> dict[str, Any]:
    (call,) = [c for c in schema["anyOf"] if c["properties"].get("tool") == {"const": tool}]
    arguments: dict[str, Any] = call["properties"]["arguments"]
    return arguments


def _step(tmp_path: Path) -> JsonOutput:
    allowed = CONSTRAINED.constraint(tuple(t.spec for t in builtin_tools(tmp_path)), "auto")
    assert isinstance(allowed, JsonOutput)
    return allowed


def test_a_named_file_is_the_only_path_the_grammar_takes(tmp_path: Path) -> None:
    schema = grounded(_step(tmp_path).schema, ["notes.txt"])
    assert _arguments(schema, "read_file")["properties"]["path"]["enum"] == ["notes.txt"]
    assert _arguments(schema, "write_file")["properties"]["content"] == {
        "description": "the text to write",
        "type": "string",
    }  # not a path: untouched
    assert _arguments(schema, "calculator")["properties"]["expression"]["pattern"]


def test_with_no_path_named_a_defaulted_path_is_left_out(tmp_path: Path) -> None:
    allowed = _step(tmp_path)
    schema = grounded(allowed.schema, [])
    assert _arguments(schema, "list_dir")["properties"] == {}  # the tool lists "."
    assert _arguments(schema, "read_file")["properties"]["path"]["type"] == "string"  # required
    assert "enum" not in _arguments(allowed.schema, "read_file")["properties"]["path"]


def test_ground_applies_only_when_asked_and_to_the_last_user_turn(tmp_path: Path) -> None:
    allowed = _step(tmp_path)
    messages = (Message("user", "Read old.txt"), Message("user", "Now read new.txt"))
    request = ModelRequest(messages, ())
    assert ground(allowed, request, ("another-call",)) is allowed
    asked = ground(allowed, request, ("grounded",))
    assert isinstance(asked, JsonOutput)
    assert _arguments(asked.schema, "read_file")["properties"]["path"]["enum"] == ["new.txt"]
    assert asked.line is not None
    assert _arguments(asked.line, "read_file")["properties"]["path"]["enum"] == ["new.txt"]
