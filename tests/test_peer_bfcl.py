"""The peer BFCL runner's pure parts: entry order and a peer's record, scored by autan's scorer."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks" / "peers"))
import bfcl_peers
from proxy import EntryLog

sys.path.pop(0)

from autan.bench import Entry, tool_specs

ADD = {
    "name": "math.add",
    "description": "Add.",
    "parameters": {"type": "dict", "properties": {"a": {"type": "integer"}}, "required": ["a"]},
}


def _entry(category: str, number: int = 0) -> Entry:
    truth = () if category == "irrelevance" else ({"math.add": {"a": [1]}},)
    messages = ({"role": "user", "content": "add 1"},)
    return Entry(f"{category}_{number}", category, messages, (ADD,), truth)


def _record(entry: Entry, log: EntryLog, error: str | None = None) -> dict[str, object]:
    specs, names = tool_specs(entry.functions)
    reply = {"answer": "x", "error": error, "seconds": 1.5}
    return bfcl_peers.peer_record(entry, "smolagents", specs, names, reply, log, 2.0)


def test_entries_are_interleaved_one_category_at_a_time() -> None:
    entries = [_entry("simple", i) for i in range(3)] + [_entry("multiple", i) for i in range(2)]
    order = [entry.id for entry in bfcl_peers.interleaved(entries)]
    assert order == ["simple_0", "multiple_0", "simple_1", "multiple_1", "simple_2"]


def test_the_first_calls_are_scored_under_their_bfcl_names() -> None:
    log = EntryLog("e", first_calls=[{"name": "math_add", "arguments": {"a": 1}}])
    log.model_requests, log.prompt_tokens = 1, 300
    record = _record(_entry("simple"), log)
    assert record["calls"] == [{"name": "math.add", "arguments": {"a": 1}}]
    assert record["passed"] is True
    assert record["valid"] is True
    assert (record["prompt_tokens"], record["model_calls"], record["seconds"]) == (300, 1, 1.5)


@pytest.mark.parametrize(
    ("arguments", "valid"), [({"a": "one"}, False), ('{"a": 1', False), ({"a": 2}, True)]
)
def test_wrong_or_unreadable_arguments_fail(arguments: object, valid: bool) -> None:
    log = EntryLog("e", first_calls=[{"name": "math_add", "arguments": arguments}])
    record = _record(_entry("simple"), log)
    assert record["passed"] is False
    assert record["valid"] is valid


def test_smolagents_final_answer_is_an_answer_not_a_call() -> None:
    log = EntryLog("e", first_calls=[{"name": "final_answer", "arguments": {"answer": "no"}}])
    record = _record(_entry("irrelevance"), log)
    assert record["calls"] == []
    assert record["passed"] is True


def test_an_error_before_any_call_is_a_failure_even_where_no_call_is_right() -> None:
    log = EntryLog("e", errors=["HTTP 500: boom"])
    record = _record(_entry("irrelevance"), log)
    assert record["passed"] is False
    assert record["error"] == "HTTP 500: boom"


def test_the_reported_command_is_the_run_without_the_report_flags(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    argv = ["x", "--limit", "2", "--report", "--benchmarks-md", "B.md", "--out", "o"]
    monkeypatch.setattr(sys, "argv", argv)
    assert bfcl_peers._run_args() == ["--limit", "2", "--out", "o"]


def test_the_stock_rows_are_compared_apart(tmp_path: Path) -> None:
    """A stopped stock run does not shrink the main table: each table has its own entries."""
    import json

    from bfcl_report import write_reports

    entries = [_entry("simple_python", i) for i in range(4)]
    configs = [bfcl_peers.Config("autan", "correct"), bfcl_peers.Config("agno", "correct"),
               bfcl_peers.Config("agno", "stock")]  # fmt: skip
    finished = {"autan@correct": 4, "agno@correct": 4, "agno@stock": 1}
    for name, count in finished.items():
        (tmp_path / name).mkdir()
        lines = [
            json.dumps({"id": e.id, "category": e.category, "passed": name == "autan@correct",
                        "valid": True, "prompt_tokens": 10, "first_prompt_tokens": 10,
                        "model_calls": 1, "seconds": 1.0})
            for e in entries[:count]
        ]  # fmt: skip
        (tmp_path / name / "results.jsonl").write_text("\n".join(lines) + "\n")
    write_reports(tmp_path, entries, configs, "cmd", None)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert [(r["name"], r["entries"]) for r in summary["rows"]] == [
        ("autan@correct", 4),
        ("agno@correct", 4),
    ]
    assert [(r["name"], r["entries"]) for r in summary["stock_rows"]] == [("agno@stock", 1)]
    text = (tmp_path / "summary.md").read_text()
    assert "4 of the 4 sampled entries" in text
    assert "stock server" in text
