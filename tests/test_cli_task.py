"""Where ``autan run`` reads its task: TASK, ``-`` (stdin), ``--task-file``, piped stdin."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from autan.cli import main
from autan.testing import ScriptedModel
from fake_chat_server import FakeChatServer, Reply, completion

SRC = Path(__file__).resolve().parent.parent / "src"


@pytest.fixture
def model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ScriptedModel:
    monkeypatch.setenv("AUTAN_HOME", str(tmp_path))
    scripted = ScriptedModel(["done"])
    monkeypatch.setattr("autan.models.load_model", lambda spec, **options: scripted)
    return scripted


@pytest.fixture
def pipe_into_stdin(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], None]]:
    """Make stdin a real pipe holding a text (closed after it), as ``cat f | autan`` does."""
    opened: list[io.TextIOWrapper] = []

    def pipe(text: str) -> None:
        read, write = os.pipe()
        os.write(write, text.encode())
        os.close(write)
        opened.append(io.TextIOWrapper(io.FileIO(read, "rb")))
        monkeypatch.setattr(sys, "stdin", opened[-1])

    yield pipe
    for stream in opened:
        stream.close()


def task_sent(model: ScriptedModel) -> str:
    return model.requests[0].messages[-1].content


def run(tmp_path: Path, *argv: str) -> int:
    return main(["run", *argv, "--workspace", str(tmp_path), "--quiet"])


def test_piped_stdin_is_appended_to_the_task(
    model: ScriptedModel, tmp_path: Path, pipe_into_stdin: Callable[[str], None]
) -> None:
    pipe_into_stdin("# Notes\nbuy milk\n")
    assert run(tmp_path, "summarise this") == 0
    assert task_sent(model) == "summarise this\n\n# Notes\nbuy milk\n"


def test_dash_makes_stdin_the_task(
    model: ScriptedModel, tmp_path: Path, pipe_into_stdin: Callable[[str], None]
) -> None:
    pipe_into_stdin("What is 2 + 2?")
    assert run(tmp_path, "-") == 0
    assert task_sent(model) == "What is 2 + 2?"


def test_task_file_alone_or_after_the_task(model: ScriptedModel, tmp_path: Path) -> None:
    notes = tmp_path / "notes.md"
    notes.write_text("buy milk")
    assert run(tmp_path, "--task-file", str(notes)) == 0
    assert task_sent(model) == "buy milk"
    model.requests.clear()
    model.turns.append("done")
    assert run(tmp_path, "summarise this", "--task-file", str(notes)) == 0
    assert task_sent(model) == "summarise this\n\nbuy milk"


def test_an_empty_pipe_adds_nothing(
    model: ScriptedModel, tmp_path: Path, pipe_into_stdin: Callable[[str], None]
) -> None:
    pipe_into_stdin("")
    assert run(tmp_path, "What is 2 + 2?") == 0
    assert task_sent(model) == "What is 2 + 2?"


def test_a_200_kb_task_from_stdin_reaches_the_model(tmp_path: Path) -> None:
    task = "Count the words.\n" + "lorem ipsum dolor sit amet " * 8000  # 216 KB
    with FakeChatServer([Reply(body=completion("4000 words"))]) as server:
        flags = ["--model", f"openai:m@{server.url}", "--tool-protocol", "native", "--no-store"]
        done = subprocess.run(
            [sys.executable, "-m", "autan", "run", "-", *flags, "--quiet"],
            input=task,
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "PYTHONPATH": str(SRC), "OPENAI_API_KEY": "sk-test"},
            cwd=tmp_path,
        )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "4000 words\n"
    (request,) = server.requests
    assert request.body["messages"][-1]["content"] == task


def test_an_idle_inherited_pipe_does_not_hang_the_run(
    model: ScriptedModel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    read, write = os.pipe()  # a parent that holds the pipe open and never writes
    stdin = io.TextIOWrapper(io.FileIO(read, "rb"))
    monkeypatch.setattr(sys, "stdin", stdin)
    try:
        assert run(tmp_path, "What is 2 + 2?") == 0
    finally:
        stdin.close()
        os.close(write)
    assert task_sent(model) == "What is 2 + 2?"
