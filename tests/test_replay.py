"""Replay: recorded responses through the current loop, no model and no tool calls."""

from __future__ import annotations

from pathlib import Path

import pytest

from autan import Agent, AwaitingApproval, Limits, SQLiteStore, tool
from autan.cli import main
from autan.testing import ScriptedModel
from autan.tools.calculator import calculator
from fake_chat_server import FakeChatServer, Reply, completion, function_call

SCRIPT = [("calculator", {"expression": "37 * 91"}), "3367"]


def recorded_run(store: SQLiteStore) -> str:
    result = Agent(ScriptedModel(SCRIPT), [calculator], store=store).run("What is 37 * 91?")
    assert result.run_id is not None
    return result.run_id


def test_the_same_agent_reproduces_the_run_without_calling_anything(tmp_path: Path) -> None:
    calls: list[str] = []

    @tool
    def calculator(expression: str) -> str:
        """Evaluate an arithmetic expression."""
        calls.append(expression)
        return "wrong"

    with SQLiteStore(tmp_path / "j.sqlite3") as store:
        run_id = recorded_run(store)
        model = ScriptedModel([])
        report = Agent(model, [calculator], store=store).replay(run_id)
        assert (report.same, report.compared, report.difference) == (True, report.recorded, "")
        assert len(store.load(run_id)) == report.recorded  # nothing appended
    assert model.requests == []
    assert calls == []


def test_a_change_in_the_loop_shows_as_the_first_difference(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "j.sqlite3") as store:
        run_id = recorded_run(store)
        agent = Agent(ScriptedModel([]), [calculator], limits=Limits(max_steps=1), store=store)
        report = agent.replay(run_id)
    assert not report.same
    assert "RunFailed" in report.difference
    assert report.compared < report.recorded


def test_a_paused_run_replays_up_to_its_pause(tmp_path: Path) -> None:
    @tool(needs_approval=True)
    def delete(path: str) -> str:
        """Delete a file."""
        return "deleted"

    with SQLiteStore(tmp_path / "j.sqlite3") as store:
        agent = Agent(ScriptedModel([("delete", {"path": "x"}), "ok"]), [delete], store=store)
        with pytest.raises(AwaitingApproval) as paused:
            agent.run("clean up")
        run_id = paused.value.result.run_id
        assert run_id is not None
        assert agent.replay(run_id).same


def test_cli_replay_of_an_autan_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AUTAN_HOME", str(tmp_path))
    call = function_call("c1", "calculator", {"expression": "37 * 91"})
    replies = [Reply(body=completion(tool_calls=[call])), Reply(body=completion("3367"))]
    with FakeChatServer(replies) as server:
        spec = f"openai:m@{server.url}"
        argv = ["run", "37 * 91?", "--model", spec, "--tool-protocol", "native", "--quiet"]
        assert main(argv) == 0
    with SQLiteStore() as store:
        (info,) = store.runs()
    capsys.readouterr()
    assert main(["runs", "replay", info.run_id]) == 0  # the server is gone: no model call
    assert capsys.readouterr().out.startswith("same: the loop reproduced all")
