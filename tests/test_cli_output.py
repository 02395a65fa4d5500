"""What ``autan run`` prints: the live view on a terminal and the ``--json`` lines."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from autan.cli import main
from autan.cli.display import DIM, RESET
from autan.testing import ScriptedModel

CALC = ("calculator", {"expression": "37 * 91"})


@pytest.fixture
def scripted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ScriptedModel:
    """The model every ``autan run`` of the test gets, whatever its spec; journal in tmp_path."""
    monkeypatch.setenv("AUTAN_HOME", str(tmp_path))
    model = ScriptedModel([CALC, "3367"])
    monkeypatch.setattr("autan.models.load_model", lambda spec, **options: model)
    return model


def run(tmp_path: Path, *extra: str) -> int:
    return main(["run", "What is 37 * 91?", "--workspace", str(tmp_path), *extra])


def test_streamed_text_ends_its_line_on_a_terminal(
    scripted: ScriptedModel,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert run(tmp_path) == 0
    err = capsys.readouterr().err
    assert f"{DIM}3367{RESET}\nsteps 2 · " in err
    assert all(line.startswith(("run ", "[", "    ", DIM, "steps ")) for line in err.splitlines())


def test_json_has_the_run_id_every_event_and_a_summary(
    scripted: ScriptedModel, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(tmp_path, "--json") == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    first, last = lines[0], lines[-1]
    assert first == {"type": "run", "run_id": first["run_id"], "journaled": True}
    assert lines[1]["type"] == "run_started"
    deltas = [line["text"] for line in lines if line["type"] == "text_delta"]
    assert "".join(deltas) == "3367"
    answered = lines[-2]
    assert answered == {"type": "final_answer", "at": answered["at"], "step": 2, "output": "3367"}
    assert lines[1]["at"] <= answered["at"]  # each event's Unix time, from the journal
    assert last["type"] == "summary"
    assert last["run_id"] == first["run_id"]
    assert (last["status"], last["steps"], last["model_calls"], last["tool_calls"]) == (
        "completed",
        2,
        2,
        1,
    )
    assert last["usage"]["prompt_tokens"] == 20
    assert last["usage"]["completion_tokens"] == 10


def test_json_of_a_run_without_a_journal(
    scripted: ScriptedModel, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(tmp_path, "--json", "--no-store") == 0
    first = json.loads(capsys.readouterr().out.splitlines()[0])
    assert first["journaled"] is False


def test_a_failing_code_block_shows_its_exception_live_and_in_runs_show(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from autan.errors import SandboxUnavailable
    from autan.sandbox import available

    try:
        available()
    except SandboxUnavailable as problem:
        pytest.skip(str(problem))
    monkeypatch.setenv("AUTAN_HOME", str(tmp_path))
    model = ScriptedModel(["```python\nprint(1 +)\n```", "```python\nfinal_answer(3)\n```"])
    monkeypatch.setattr("autan.models.load_model", lambda spec, **options: model)
    assert run(tmp_path, "--actions", "code") == 0
    live = capsys.readouterr().err
    assert "✗ exit status 1: SyntaxError: " in live
    run_id = live.splitlines()[0].removeprefix("run ")
    assert main(["runs", "show", run_id]) == 0
    assert "✗ exit status 1: SyntaxError: " in capsys.readouterr().out
