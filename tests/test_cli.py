"""The ``autan`` command: bad input is one line and exit 2; the real model answers end to end."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from autan import __version__


def autan(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "autan", *args], capture_output=True, text=True, cwd=cwd, timeout=300
    )


def test_version() -> None:
    done = autan("--version")
    assert done.returncode == 0
    assert done.stdout.strip() == f"autan {__version__}"


def test_help_lists_run() -> None:
    done = autan("--help")
    assert done.returncode == 0
    assert "run" in done.stdout


def test_run_help_lists_options() -> None:
    done = autan("run", "--help")
    for option in ("--model", "--max-steps", "--workspace", "--json", "--quiet"):
        assert option in done.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", ""], "the task is empty"),
        (["run", "   "], "the task is empty"),
        (["run", "x", "--model", "gpt-9"], "accepted forms: local, gguf:"),
        (["run", "x", "--model", "gguf:/no/such/file.gguf"], "does not exist"),
        (["run", "x", "--workspace", "/no/such/dir"], "is not an existing directory"),
        (["run", "x", "--max-steps", "-1"], "max_steps must be positive"),
        (["run", "x", "--max-steps", "0"], "max_steps must be positive"),
        (["run", "x", "--max-tokens", "0"], "max_total_tokens must be positive"),
        (["run", "x", "--max-seconds", "0"], "max_wall_seconds must be positive"),
        (["run", "x", "--max-seconds", "nan"], "max_wall_seconds must be positive"),
        (["run", "x", "--max-steps", "ten"], "not a number"),
        (["run"], "required: task"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: list[str], message: str) -> None:
    done = autan(*args)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1, done.stderr
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_file_that_is_not_gguf(tmp_path: Path) -> None:
    fake = tmp_path / "model.gguf"
    fake.write_text("not a model")
    done = autan("run", "x", "--model", f"gguf:{fake}")
    assert done.returncode == 2
    assert "is not a GGUF file" in done.stderr


@pytest.mark.e2e
def test_readme_task_on_the_embedded_model(tmp_path: Path) -> None:
    done = autan("run", "What is 37 * 91?", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "3367"
    assert "calculator(" in done.stderr
    assert "model calls" in done.stderr.splitlines()[-1]


@pytest.mark.e2e
def test_json_events_on_the_embedded_model(tmp_path: Path) -> None:
    done = autan("run", "What is 12 * 12?", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    events = [json.loads(line) for line in done.stdout.splitlines()]
    assert events[0]["type"] == "run_started"
    assert events[-1] == {"type": "final_answer", "step": events[-1]["step"], "output": "144"}
    responses = [e for e in events if e["type"] == "model_response"]
    assert responses[0]["usage"]["prompt_tokens"] < 200
    assert all(r["usage"]["cached_tokens"] > 0 for r in responses[1:])
