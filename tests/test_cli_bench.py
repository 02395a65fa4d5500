"""``autan bench bfcl`` end to end: output files, resuming, and that no tool ever runs."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest

import autan.agent.execute
import autan.agent.perform
from autan.bench import Entry, load_entries
from autan.bench._oracle import ground_truth_calls
from autan.bench._schema import tool_name
from autan.bench._step import RESULT_KEYS
from autan.cli import main
from autan.messages import ModelRequest, ModelResponse, ToolCall, Usage
from autan.models.base import Model

DATA = Path(__file__).resolve().parents[2] / "shared" / "bench" / "bfcl"
pytestmark = pytest.mark.skipif(not DATA.is_dir(), reason="../shared/bench/bfcl is not here")
CATEGORIES = "simple_python,parallel,irrelevance"


class OracleModel(Model):
    """Answers each entry's question with its ground-truth calls (no call for irrelevance)."""

    name = "oracle"

    def __init__(self, entries: list[Entry]) -> None:
        self.answers = {entry.messages[-1]["content"]: entry for entry in entries}
        self.requests: list[ModelRequest] = []

    def complete(self, request: ModelRequest) -> ModelResponse:
        self.requests.append(request)
        entry = self.answers[request.messages[-1].content]
        calls = [] if "irrelevance" in entry.category else ground_truth_calls(entry)
        tool_calls = tuple(
            ToolCall(f"call_{n}", tool_name(c["name"]), c["arguments"]) for n, c in enumerate(calls)
        )
        return ModelResponse("no tool fits" if not calls else "", tool_calls, Usage(100, 20, 60))


@pytest.fixture
def oracle(monkeypatch: pytest.MonkeyPatch) -> OracleModel:
    model = OracleModel(load_entries(DATA, CATEGORIES.split(",")))
    monkeypatch.setattr("autan.cli.bench._make_model", lambda spec, protocol, decode: model)

    def no_tools(*args: Any) -> Any:
        raise AssertionError("a tool ran")

    monkeypatch.setattr(autan.agent.perform, "execute_tool", no_tools)
    monkeypatch.setattr(autan.agent.execute, "execute_tool", no_tools)
    return model


def _bench(out: Path, *extra: str) -> int:
    return main(["bench", "bfcl", "--data", str(DATA), "--model", "local", "--out", str(out),
                 "--categories", CATEGORIES, *extra])  # fmt: skip


def _results(out: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]


def test_writes_one_result_per_entry_and_the_summaries(oracle: OracleModel, tmp_path: Path) -> None:
    assert _bench(tmp_path, "--limit", "2") == 0
    results = _results(tmp_path)
    assert [r["category"] for r in results] == ["simple_python"] * 2 + ["parallel"] * 2 + [
        "irrelevance"
    ] * 2
    assert all(tuple(r) == RESULT_KEYS for r in results)
    assert all(r["passed"] and r["valid"] and r["model_calls"] == 1 for r in results)
    assert results[2]["calls"][0]["name"] == "spotify.play"  # the BFCL name, dots and all
    assert all(request.tools for request in oracle.requests)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["categories"]["all"]["accuracy"] == 1.0
    assert summary["categories"]["parallel"]["mean_prompt_tokens"] == 100
    assert "| parallel | 2 | 100.0% (2) | 0.0% |" in (tmp_path / "summary.md").read_text()
    has_matplotlib = importlib.util.find_spec("matplotlib") is not None
    assert (tmp_path / "summary.png").is_file() == has_matplotlib


def test_a_second_run_resumes_after_the_finished_entries(
    oracle: OracleModel, tmp_path: Path
) -> None:
    assert _bench(tmp_path, "--limit", "1") == 0
    with (tmp_path / "results.jsonl").open("a") as handle:
        handle.write('{"id": "torn')  # a run killed mid-line
    assert _bench(tmp_path, "--limit", "2") == 0
    assert len(oracle.requests) == 6
    ids = [r["id"] for r in _results_lenient(tmp_path)]
    assert len(ids) == len(set(ids)) == 6


def _results_lenient(out: Path) -> list[dict[str, Any]]:
    lines = (out / "results.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines if line.endswith("}") and "torn" not in line]


def test_invalid_calls_are_counted_and_fail(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    class Wrong(Model):
        def complete(self, request: ModelRequest) -> ModelResponse:
            return ModelResponse(tool_calls=(ToolCall("c", request.tools[0].name, {"bad": 1}),))

    monkeypatch.setattr("autan.cli.bench._make_model", lambda spec, protocol, decode: Wrong())
    assert _bench(tmp_path, "--limit", "1", "--categories", "simple_python") == 0
    (result,) = _results(tmp_path)
    assert not result["valid"]
    assert not result["passed"]


def test_bad_input_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["bench", "bfcl", "--data", str(tmp_path / "nowhere")]) == 2
    assert _bench(tmp_path, "--categories", "multi_turn_base") == 2
    assert "unsupported categories multi_turn_base" in capsys.readouterr().err


@pytest.mark.e2e
def test_the_embedded_model_makes_only_valid_calls(tmp_path: Path) -> None:
    assert _bench(tmp_path, "--limit", "1", "--categories", "simple_python",
                  "--tool-protocol", "constrained") == 0  # fmt: skip
    (result,) = _results(tmp_path)
    assert result["valid"]
    assert result["prompt_tokens"] > 0
