"""``autan runs resume`` and ``autan run -c`` send an API key only where it was configured to
go (issue 14).

A journal is data: its recipe may name any server. Resuming a run, or following up on it,
whose recipe names a server other than the one this process's ``model`` setting names (or the
provider's own) is refused with one line, before any request, unless
``--send-key-to-recipe-server`` says to send it (one check, ``Recipe.to_continue``).
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from pathlib import Path

import pytest

from autan import SQLiteStore
from autan.cli import main
from autan.errors import ConfigurationError
from fake_chat_server import FakeChatServer, Reply, completion, function_call
from test_cli_resume import cut_after_tool_result, only_run, run_cli

CANARY = "sk-canary-resume-0123456789"
CALC = function_call("c1", "calculator", {"expression": "37 * 91"})


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("AUTAN_HOME", str(tmp_path))
    monkeypatch.setenv("OPENAI_API_KEY", CANARY)
    return tmp_path


def _journal_pointing_at(
    home: Path, url: str, monkeypatch: pytest.MonkeyPatch, answered: bool = False
) -> str:
    """A run made against a configured server, cut after its tool result (unless
    ``answered``), whose recipe is then rewritten to name ``url``."""
    replies = [Reply(body=completion(tool_calls=[CALC])), Reply(body=completion("3367"))]
    with FakeChatServer(replies) as configured:
        monkeypatch.setenv("AUTAN_MODEL", f"openai:m@{configured.url}")
        assert run_cli(configured.url, "--quiet") == 0
    run_id = only_run(home)
    journal = home / "journal.sqlite3"
    if not answered:
        cut_after_tool_result(journal, run_id)
    with sqlite3.connect(journal) as db:
        (config,) = db.execute("SELECT config FROM runs WHERE id = ?", (run_id,)).fetchone()
        data = json.loads(config)
        data["cli"]["model"] = f"openai:m@{url}"
        db.execute("UPDATE runs SET config = ? WHERE id = ?", (json.dumps(data), run_id))
    return run_id


def test_resume_refuses_to_send_the_key_to_the_recipes_other_server(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with FakeChatServer([Reply(body=completion("3367"))]) as other:
        run_id = _journal_pointing_at(home, other.url, monkeypatch)
        capsys.readouterr()
        assert main(["runs", "resume", run_id]) == 2
        assert other.requests == []
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "OPENAI_API_KEY" in err[0]
    assert other.url.split("/v1")[0] in err[0]
    assert "--send-key-to-recipe-server" in err[0]
    assert CANARY not in err[0]


def test_a_follow_up_refuses_to_send_the_key_to_the_recipes_other_server(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``autan run -c`` builds the last answered run's recipe again: the same check."""
    with FakeChatServer([Reply(body=completion("about 3367"))]) as other:
        _journal_pointing_at(home, other.url, monkeypatch, answered=True)
        capsys.readouterr()
        assert main(["run", "-c", "And doubled?"]) == 2
        assert other.requests == []
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert f"OPENAI_API_KEY to {other.url.split('/v1')[0]}" in err[0]
    assert "--send-key-to-recipe-server" in err[0]
    assert CANARY not in err[0]


def test_a_follow_up_sends_it_when_the_user_says_so(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with FakeChatServer([Reply(body=completion("6734"))]) as other:
        _journal_pointing_at(home, other.url, monkeypatch, answered=True)
        assert main(["run", "-c", "And doubled?", "--send-key-to-recipe-server", "--quiet"]) == 0
        assert other.requests[0].headers.get("Authorization") == f"Bearer {CANARY}"


def test_a_follow_up_on_the_configured_server_needs_no_asking(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with FakeChatServer([Reply(body=completion("6734"))]) as configured:
        _journal_pointing_at(home, configured.url, monkeypatch, answered=True)
        monkeypatch.setenv("AUTAN_MODEL", f"openai:m@{configured.url}")
        assert main(["run", "-c", "And doubled?", "--quiet"]) == 0
        assert configured.requests[0].headers.get("Authorization") == f"Bearer {CANARY}"


def test_resume_sends_it_when_the_user_says_so(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with FakeChatServer([Reply(body=completion("3367"))]) as other:
        run_id = _journal_pointing_at(home, other.url, monkeypatch)
        main(["runs", "resume", run_id, "--send-key-to-recipe-server"])
        assert other.requests
        assert other.requests[0].headers.get("Authorization") == f"Bearer {CANARY}"


def test_resume_without_a_key_is_not_asked(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with FakeChatServer([Reply(body=completion("3367"))]) as other:
        run_id = _journal_pointing_at(home, other.url, monkeypatch)
        monkeypatch.delenv("OPENAI_API_KEY")
        main(["runs", "resume", run_id])
        assert other.requests
        assert "Authorization" not in other.requests[0].headers
    with SQLiteStore(home / "journal.sqlite3") as store:
        assert store.info(run_id).config["cli"]["model"] == f"openai:m@{other.url}"


def test_a_providers_own_server_needs_no_asking() -> None:
    from autan.cli.recipe import Recipe
    from autan.cli.settings import Settings

    recipe = Recipe("mistral:small", None, "/tmp", None, None, None)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MISTRAL_API_KEY", CANARY)
        recipe.check_key_destination(Settings(), send_anyway=False)
        hostile = dataclasses.replace(recipe, model="mistral:small@https://collector.example/v1")
        with pytest.raises(ConfigurationError, match="MISTRAL_API_KEY to https://collector"):
            hostile.check_key_destination(Settings(), send_anyway=False)
