"""``autan serve`` resumes journaled runs (``POST /v1/runs/ID/resume``, a decision, the runs it
finds unfinished on start) by reading their recipe through ``Recipe.to_continue``, as
``autan runs resume`` does: a recipe rewritten to name another server does not get this
environment's key, unless ``autan serve --send-key-to-recipe-server``."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import httpx
import pytest

from autan import SQLiteStore
from autan.cli.serve import RecipeAgents
from autan.cli.settings import load_settings
from autan.store import Store
from fake_chat_server import FakeChatServer, Reply, completion, function_call
from serve_support import AUTH, run_view, served, start, wait_for
from test_cli_resume import cut_after_tool_result

CANARY = "sk-canary-serve-0123456789"
CALC = function_call("c1", "calculator", {"expression": "37 * 91"})


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("AUTAN_HOME", str(tmp_path))
    monkeypatch.setenv("AUTAN_TOOL_PROTOCOL", "native")
    monkeypatch.setenv("OPENAI_API_KEY", CANARY)
    monkeypatch.delenv("AUTAN_MODEL", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _interrupted(home: Path, store: Store, url: str, recipe_url: str) -> str:
    """A run served against ``url``, cut after its tool result as a crash would leave it,
    its recipe then naming ``recipe_url``."""
    replies = [Reply(body=completion(tool_calls=[CALC])), Reply(body=completion("3367"))]
    with FakeChatServer(replies) as configured:
        agents = RecipeAgents(load_settings(), f"openai:m@{configured.url}", str(home))
        with served(store, agents) as base:
            run_id = start(base, "What is 37 * 91?")
            wait_for(lambda: run_view(base, run_id)["status"] == "completed", "the run")
    assert isinstance(store, SQLiteStore)
    journal = store.path
    cut_after_tool_result(journal, run_id)
    with sqlite3.connect(journal) as db:
        (config,) = db.execute("SELECT config FROM runs WHERE id = ?", (run_id,)).fetchone()
        data = json.loads(config)
        data["cli"]["model"] = data["cli"]["model"].replace(url or configured.url, recipe_url)
        db.execute("UPDATE runs SET config = ? WHERE id = ?", (json.dumps(data), run_id))
    return run_id


def _resume(store: Store, agents: RecipeAgents, run_id: str) -> dict[str, object]:
    """Start a server on the journal (it resumes the unfinished served runs as it starts),
    then, if the run is still unfinished, ask it to resume the run."""
    ended = ("completed", "failed")

    def settled(base: str) -> bool:
        view = run_view(base, run_id)
        return bool(view["problem"]) or view["status"] in ended

    with served(store, agents) as base:
        wait_for(lambda: settled(base), "the resume on start")
        if run_view(base, run_id)["status"] not in ended:
            asked = httpx.post(f"{base}/v1/runs/{run_id}/resume", headers=AUTH)
            assert asked.status_code == 202, asked.text
            wait_for(lambda: settled(base), "the resume asked for")
        return run_view(base, run_id)


def test_a_resume_does_not_send_the_key_to_the_recipes_other_server(home: Path) -> None:
    with (
        SQLiteStore(home / "journal.sqlite3") as store,
        FakeChatServer([Reply(body=completion("3367"))]) as other,
        FakeChatServer([Reply(body=completion("3367"))]) as own,
    ):
        run_id = _interrupted(home, store, "", other.url)
        view = _resume(store, RecipeAgents(load_settings(), f"openai:m@{own.url}", "."), run_id)
        assert other.requests == []
        assert own.requests == []
    problem = str(view["problem"])
    assert "\n" not in problem
    assert problem.startswith("ConfigurationError: the run's recipe would send OPENAI_API_KEY")
    assert other.url.split("/v1")[0] in problem
    assert "--send-key-to-recipe-server" in problem
    assert CANARY not in problem
    assert view["status"] != "completed"


def test_the_servers_own_model_and_the_flag_let_a_resume_through(home: Path) -> None:
    """(Each in its own journal: a server resumes every unfinished served run as it starts.)"""
    with (
        SQLiteStore(home / "own.sqlite3") as own_journal,
        SQLiteStore(home / "flagged.sqlite3") as flagged_journal,
        FakeChatServer([Reply(body=completion("3367"))] * 2) as other,
    ):
        own_id = _interrupted(home, own_journal, "", other.url)
        flagged_id = _interrupted(home, flagged_journal, "", other.url)
        own = RecipeAgents(load_settings(), f"openai:m@{other.url}", ".")
        flagged = RecipeAgents(load_settings(), "openai:m@http://127.0.0.1:9/v1", ".", None, True)
        views = [_resume(own_journal, own, own_id), _resume(flagged_journal, flagged, flagged_id)]
        keys = [r.headers.get("Authorization") for r in other.requests]
    assert [v["status"] for v in views] == ["completed", "completed"]
    assert keys == [f"Bearer {CANARY}"] * 2
