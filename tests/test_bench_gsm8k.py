"""``autan bench gsm8k``: questions, scoring on the last number, whole agent runs, the CLI."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from autan.bench._gsm8k import (
    RESULT_KEYS,
    Question,
    last_number,
    load_questions,
    run_question,
    same_number,
)
from autan.cli import main
from autan.errors import ConfigurationError
from autan.messages import ModelRequest, ModelResponse, ToolCall, Usage
from autan.models.base import Model
from autan.testing import ScriptedModel

DATA = Path(__file__).parent / "fixtures" / "gsm8k_small.jsonl"
ANSWERS = {"robe": "3", "Janet": "18", "pens": "2400"}


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("#### 2,400", "2400"),
        ("She makes $18.", "18"),
        ("from 3 to -4.5", "-4.5"),
        ("answer: .5", ".5"),
        ("no digits here", None),
    ],
)
def test_the_last_number_is_read_without_separators(text: str, number: str | None) -> None:
    assert last_number(text) == number


def test_numbers_match_by_value() -> None:
    assert same_number("18.0", "18")
    assert same_number("2400", "2400")
    assert not same_number("18.5", "18")
    assert not same_number(None, "18")


def test_questions_carry_the_number_after_the_marks() -> None:
    questions = load_questions(DATA)
    assert [(q.id, q.expected) for q in questions] == [
        ("gsm8k-0", "3"),
        ("gsm8k-1", "18"),
        ("gsm8k-2", "2400"),
    ]
    assert load_questions(DATA, limit=2) == questions[:2]
    sample = load_questions(DATA, limit=2, seed=1)
    assert len(sample) == 2
    assert sample == load_questions(DATA, limit=2, seed=1)


def test_a_file_that_is_not_gsm8k_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"question": "q", "answer": "no marks"}) + "\n")
    with pytest.raises(ConfigurationError, match="line 1"):
        load_questions(bad)
    with pytest.raises(ConfigurationError, match="not a file"):
        load_questions(tmp_path / "missing.jsonl")


def test_a_tools_run_uses_the_calculator_and_is_scored() -> None:
    question = Question("q1", "What is 37 * 91?", "3367")
    model = ScriptedModel([("calculator", {"expression": "37 * 91"}), "It is 3,367."])
    record, error = run_question(model, question, "tools")
    assert error is None
    assert tuple(record) == RESULT_KEYS
    assert (record["passed"], record["answer"], record["model_calls"]) == (True, "3367", 2)
    assert record["tool_calls"] == 1
    assert record["prompt_tokens"] == 20
    assert [spec.name for spec in model.requests[0].tools] == ["calculator"]


def test_a_run_that_ends_without_an_answer_is_a_failed_record() -> None:
    model = ScriptedModel([("calculator", {"expression": "1 + 1"})] * 5)
    record, error = run_question(model, Question("q2", "loop", "2"), "tools")
    assert error is not None
    assert "max_steps" in error
    assert (record["passed"], record["answer"], record["model_calls"]) == (False, None, 4)


class AnswerModel(Model):
    """Answers each question with its number, through the calculator or a code block."""

    name = "answers"

    def __init__(self, code: bool) -> None:
        self.code = code
        self.requests: list[ModelRequest] = []

    def complete(self, request: ModelRequest) -> ModelResponse:
        self.requests.append(request)
        question = request.messages[1].content
        number = next(n for word, n in ANSWERS.items() if word in question)
        usage = Usage(100, 10, 40)
        if self.code:
            return ModelResponse(f"```python\nfinal_answer({number})\n```", usage=usage)
        if request.messages[-1].role == "tool":
            return ModelResponse(f"The answer is {number}.", usage=usage)
        call = ToolCall("c1", "calculator", {"expression": f"{number} * 1"})
        return ModelResponse("", (call,), usage=usage)


def _bench(monkeypatch: pytest.MonkeyPatch, out: Path, model: AnswerModel, *extra: str) -> int:
    monkeypatch.setattr("autan.cli.bench._make_model", lambda spec, protocol, decode: model)
    return main(
        ["bench", "gsm8k", "--data", str(DATA), "--model", "local", "--out", str(out), *extra]
    )


def _results(out: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]


def test_the_cli_writes_results_and_summaries_and_resumes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = AnswerModel(code=False)
    assert _bench(monkeypatch, tmp_path, model, "--limit", "2") == 0
    first = _results(tmp_path)
    assert [r["id"] for r in first] == ["gsm8k-0", "gsm8k-1"]
    assert all(r["passed"] and tuple(r) == RESULT_KEYS for r in first)
    assert len(model.requests) == 4
    assert _bench(monkeypatch, tmp_path, model) == 0  # resumes: only the third question runs
    assert len(model.requests) == 6
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["actions"] == "tools"
    assert summary["categories"]["all"]["accuracy"] == 1.0
    assert summary["categories"]["all"]["mean_model_calls"] == 2
    text = (tmp_path / "summary.md").read_text()
    assert text.startswith("# GSM8K: local, actions tools")
    assert "| gsm8k-tools | 3 | 100.0% (3) | 200 | 20 | 2.00 |" in text
    assert "invalid-call" not in text
    assert "# GSM8K" in capsys.readouterr().out


def test_results_of_the_other_mode_are_not_mixed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _bench(monkeypatch, tmp_path, AnswerModel(code=False), "--limit", "1") == 0
    status = _bench(monkeypatch, tmp_path, AnswerModel(code=True), "--actions", "code")
    assert status == 2
    assert "holds results of gsm8k-tools" in capsys.readouterr().err


@pytest.mark.skipif(
    shutil.which("bwrap") is None and not os.environ.get("CI"), reason="bubblewrap not installed"
)
def test_code_actions_answer_through_final_answer(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    model = AnswerModel(code=True)
    assert _bench(monkeypatch, tmp_path, model, "--actions", "code") == 0
    results = _results(tmp_path)
    assert [r["answer"] for r in results] == ["3", "18", "2400"]
    assert all(r["passed"] and r["category"] == "gsm8k-code" for r in results)
    assert model.requests[0].tools == ()
