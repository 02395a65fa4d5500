"""The ``autan`` command: bad input is one line and exit 2; the real model answers end to end."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from autan import __version__

SRC = Path(__file__).resolve().parent.parent / "src"


def autan(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m autan ARGS`` on this checkout's source, wherever ``cwd`` is."""
    return subprocess.run(
        [sys.executable, "-m", "autan", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(SRC)},
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
        (["run"], "give the task: autan run TASK, autan run - or --task-file PATH"),
        (["run", "--task-file", "/no/such/task.md"], "cannot read the task file"),
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
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert lines[0]["type"] == "run"
    assert lines[-1]["type"] == "summary"
    events = [line for line in lines[1:-1] if line["type"] != "text_delta"]
    assert events[0]["type"] == "run_started"
    last = dict(events[-1])
    assert isinstance(last.pop("at"), float)  # when the event was made (traces use it)
    assert last["type"] == "final_answer"
    # the default's chat answer may be a sentence ("12 * 12 = 144."); it holds the result whole
    assert re.search(r"(?<![\d.])144(?![\d]|[.,]\d)", last["output"]), last
    responses = [e for e in events if e["type"] == "model_response"]
    assert responses[0]["usage"]["prompt_tokens"] < 200
    assert all(r["usage"]["cached_tokens"] > 0 for r in responses[1:])


def help_of(*argv: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> str:
    from autan.cli import main

    monkeypatch.setenv("COLUMNS", "200")
    with pytest.raises(SystemExit) as exited:
        main([*argv, "--help"])
    assert exited.value.code == 0
    return " ".join(capsys.readouterr().out.split())


def test_help_gives_the_exit_codes_and_every_runs_command(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    text = help_of(monkeypatch=monkeypatch, capsys=capsys)
    assert "exit status: 0 answered" in text
    for code in (" 1 the run failed", " 2 bad input", " 3 the run waits", " 130 interrupted"):
        assert code in text
    assert "list, show, export, resume, approve, deny, answer or replay journaled runs" in text


@pytest.mark.parametrize(
    ("command", "options"),
    [
        (["run"], ["--max-steps N stop after N steps", "--max-seconds S stop after S seconds"]),
        (["runs", "list"], ["--limit N at most N runs (default: 20)"]),
        (
            ["sandbox", "run"],
            ["--timeout S wall-clock seconds", "(default: 10.0)", "(default: 512)"],
        ),
    ],
)
def test_every_number_option_says_what_it_does_and_its_default(
    command: list[str],
    options: list[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    text = help_of(*command, monkeypatch=monkeypatch, capsys=capsys)
    for option in options:
        assert option in text
