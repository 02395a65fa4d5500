"""``autan runs list|show|export`` on a journal in a temporary AUTAN_HOME."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from autan import Agent, SQLiteStore
from autan.cli import main
from autan.testing import ScriptedModel
from autan.tools.calculator import calculator


@pytest.fixture
def run_id(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("AUTAN_HOME", str(tmp_path))
    model = ScriptedModel([("calculator", {"expression": "37 * 91"}), "3367"])
    with SQLiteStore() as store:
        result = Agent(model, tools=[calculator], store=store).run("What is 37 * 91?")
    assert result.run_id is not None
    return result.run_id


def test_list_shows_the_run_and_its_status(run_id: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["runs", "list"]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith(run_id)
    assert "completed" in line
    assert line.endswith("What is 37 * 91?")


def test_show_prints_the_timeline_by_unique_prefix(
    run_id: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["runs", "show", run_id[:6]]) == 0
    out = capsys.readouterr().out
    assert "calculator(expression='37 * 91')" in out
    assert "answer: 3367" in out
    assert "steps 2 · model calls 2 · tool calls 1" in out


def test_export_writes_json_lines(run_id: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["runs", "export", run_id]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert records[0]["type"] == "run"
    assert records[0]["config"]["task"] == "What is 37 * 91?"
    assert [r["seq"] for r in records[1:]] == list(range(len(records) - 1))
    assert records[-1]["type"] == "final_answer"


def exit_code(argv: list[str]) -> int:
    """``main``'s status, whether it returns it or argparse exits with it."""
    try:
        return main(argv)
    except SystemExit as exited:
        return int(str(exited.code))


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["runs", "show", "nope"], "no run with id 'nope'"),
        (["runs"], "required"),
        (["runs", "list", "--limit", "x"], "invalid int"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    run_id: str, argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert exit_code(argv) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1


def test_timeline_shows_cached_tokens_and_cost() -> None:
    from autan.cli.display import timeline_line
    from autan.events import ModelResponded
    from autan.messages import Usage

    event = ModelResponded(2, "", (), Usage(100, 10, 60), 0.5, "", 0.000125)
    assert timeline_line(event) == (
        "[2] model: 100 prompt (60 cached) / 10 completion tokens, 0.50 s, $0.000125"
    )


def test_a_file_that_is_not_a_journal_is_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes, not a database\n" * 10)
    for argv in (["runs", "--store", str(notes), "list"], ["run", "x", "--store", str(notes)]):
        assert exit_code(argv) == 2
        err = capsys.readouterr().err
        assert err == f"autan: error: {notes} is not a journal: file is not a database\n"
    assert notes.read_text() == "my notes, not a database\n" * 10


def test_runs_on_a_missing_journal_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journal = tmp_path / "nonexistent" / "dir" / "j.sqlite3"
    for command in (["list"], ["show", "abc"]):
        assert exit_code(["runs", "--store", str(journal), *command]) == 2
        assert (
            capsys.readouterr().err
            == f"autan: error: no journal at {journal} (autan run creates one)\n"
        )
    assert not (tmp_path / "nonexistent").exists()


def test_list_of_an_empty_journal_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journal = tmp_path / "j.sqlite3"
    SQLiteStore(journal).close()
    assert main(["runs", "--store", str(journal), "list"]) == 0
    assert capsys.readouterr().out == f"no runs in {journal}\n"
