"""``autan run`` journals its recipe; ``autan runs resume ID`` rebuilds the agent and goes on."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from autan import SQLiteStore
from autan.cli import main
from fake_chat_server import FakeChatServer, Reply, completion, function_call

CANARY = "sk-canary-0123456789abcdef"
CALC = function_call("c1", "calculator", {"expression": "37 * 91"})


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("AUTAN_HOME", str(tmp_path))
    monkeypatch.setenv("OPENAI_API_KEY", CANARY)
    return tmp_path


def run_cli(url: str, *extra: str) -> int:
    spec = f"openai:m@{url}"
    return main(["run", "What is 37 * 91?", "--model", spec, "--tool-protocol", "native", *extra])


def only_run(home: Path) -> str:
    with SQLiteStore(home / "journal.sqlite3") as store:
        (info,) = store.runs()
    return info.run_id


def test_run_journals_its_recipe_and_never_the_key(home: Path, tmp_path: Path) -> None:
    replies = [Reply(body=completion(tool_calls=[CALC])), Reply(body=completion("3367"))]
    with FakeChatServer(replies) as server:
        assert run_cli(server.url, "--workspace", str(tmp_path), "--quiet") == 0
    run_id = only_run(home)
    with SQLiteStore(home / "journal.sqlite3") as store:
        recipe = store.info(run_id).config["cli"]
    assert recipe["model"].startswith("openai:m@http://127.0.0.1")
    assert recipe["workspace"] == str(tmp_path.resolve())
    assert recipe["tool_protocol"] == "native"
    assert CANARY not in (home / "journal.sqlite3").read_bytes().decode("utf-8", "replace")


def test_no_store_journals_nothing(home: Path) -> None:
    with FakeChatServer([Reply(body=completion("3367"))]) as server:
        assert run_cli(server.url, "--no-store", "--quiet") == 0
    assert not (home / "journal.sqlite3").exists()


def test_resume_continues_where_the_journal_ends(
    home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    replies = [Reply(body=completion(tool_calls=[CALC])), Reply(body=completion("3367"))]
    with FakeChatServer(replies) as server:
        monkeypatch.setenv("AUTAN_MODEL", f"openai:m@{server.url}")  # the key's configured server
        assert run_cli(server.url, "--quiet") == 0
        run_id = only_run(home)
        kept = cut_after_tool_result(home / "journal.sqlite3", run_id)
        server.replies.append(Reply(body=completion("3367")))
        capsys.readouterr()
        assert main(["runs", "resume", run_id[:8]]) == 0
    assert capsys.readouterr().out.strip() == "3367"
    assert len(server.requests) == 3  # two for the first run, one for the step after the cut
    with SQLiteStore(home / "journal.sqlite3") as store:
        events = store.load(run_id)
    assert len(events) > kept
    assert events[-1].kind == "final_answer"


def test_resume_of_a_library_run_is_refused(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with SQLiteStore(home / "journal.sqlite3") as store:
        store.create_run("abc123", {"task": "x"})
    assert main(["runs", "resume", "abc"]) == 2
    assert "not started by autan run" in capsys.readouterr().err


def cut_after_tool_result(journal: Path, run_id: str) -> int:
    """Delete the events after the first tool result, as a kill there would have left them."""
    with sqlite3.connect(journal) as db:
        rows = db.execute("SELECT seq, data FROM events WHERE run_id = ? ORDER BY seq", (run_id,))
        cut = next(seq for seq, data in rows if json.loads(data)["type"] == "tool_result") + 1
        db.execute("DELETE FROM events WHERE run_id = ? AND seq >= ?", (run_id, cut))
    return cut
