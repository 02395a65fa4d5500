"""Built-in tools: the calculator and the workspace-confined file tools."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from autan.errors import WorkspaceError
from autan.tools.calculator import CalculatorError, calculator, evaluate
from autan.tools.files import OutsideWorkspaceError, Workspace, file_tools


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("37 * 91", "3367"),
        ("2 + 3 * 4", "14"),
        ("(2 + 3) * 4", "20"),
        ("7 / 2", "3.5"),
        ("8 / 2", "4"),
        ("7 // 2", "3"),
        ("-5 % 3", "1"),
        ("2 ** 10", "1024"),
        ("0.1 + 0.2", "0.30000000000000004"),
    ],
)
def test_calculator(expression: str, expected: str) -> None:
    assert calculator(expression) == expected


@pytest.mark.parametrize(
    "expression",
    [
        "__import__('os').system('true')",
        "abs(-1)",
        "x + 1",
        "1 / 0",
        "2 ** 100000",
        "9 ** 9 ** 9",
        "'a' * 3",
        "[1, 2]",
        "1 if 1 else 2",
        "",
    ],
)
def test_calculator_refuses_non_arithmetic(expression: str) -> None:
    with pytest.raises(CalculatorError):
        evaluate(expression)


def test_calculator_schema_constrains_the_expression() -> None:
    properties = calculator.parameters["properties"]["expression"]
    assert properties["pattern"]
    assert properties["minLength"] == 1


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    root.mkdir()
    (root / "notes.txt").write_text("hello")
    (root / "sub").mkdir()
    (tmp_path / "secret.txt").write_text("canary")
    return root


def tools_for(root: Path) -> dict[str, object]:
    return {t.name: t for t in file_tools(Workspace(root))}


def test_file_tools_inside_the_workspace(workspace: Path) -> None:
    tools = tools_for(workspace)
    assert tools["list_dir"]() == "notes.txt\nsub/"  # type: ignore[operator]
    assert tools["read_file"]("notes.txt") == "hello"  # type: ignore[operator]
    tools["write_file"]("sub/new.txt", "data")  # type: ignore[operator]
    assert (workspace / "sub" / "new.txt").read_text() == "data"


@pytest.mark.parametrize("path", ["../secret.txt", "sub/../../secret.txt", "/etc/passwd"])
def test_escapes_are_refused(workspace: Path, path: str) -> None:
    tools = tools_for(workspace)
    for name in ("read_file", "list_dir"):
        with pytest.raises(OutsideWorkspaceError):
            tools[name](path)  # type: ignore[operator]
    with pytest.raises(OutsideWorkspaceError):
        tools["write_file"](path, "x")  # type: ignore[operator]


def test_symlink_out_of_the_workspace_is_refused(workspace: Path) -> None:
    os.symlink(workspace.parent / "secret.txt", workspace / "link.txt")
    os.symlink(workspace.parent, workspace / "up")
    tools = tools_for(workspace)
    with pytest.raises(OutsideWorkspaceError):
        tools["read_file"]("link.txt")  # type: ignore[operator]
    with pytest.raises(OutsideWorkspaceError):
        tools["write_file"]("up/planted.txt", "x")  # type: ignore[operator]
    assert not (workspace.parent / "planted.txt").exists()


def test_escape_reaches_the_model_as_an_observation(workspace: Path) -> None:
    from autan import Agent
    from autan.testing import ScriptedModel

    model = ScriptedModel([("read_file", {"path": "../secret.txt"}), "refused"])
    result = Agent(model, tools=file_tools(Workspace(workspace))).run("read it")
    observation = model.requests[1].messages[-1].content
    assert "outside the workspace" in observation
    assert "canary" not in observation
    assert result.output == "refused"


def test_missing_workspace_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError):
        Workspace(tmp_path / "nope")
