"""``autan serve``: a run paused at an MCP server's question shows it (``awaiting``), and
``POST /v1/runs/{id}/answer`` answers it (a wrong answer is a 409, nothing journaled); the run
then makes the call again with the answer."""

from __future__ import annotations

from pathlib import Path

import httpx

from autan import Agent, SQLiteStore, mcp_tools
from autan.events import ElicitationAnswered, FinalAnswer, ToolResulted
from autan.serve import RunSpec
from autan.store import Store
from mcp_helpers import server_command
from serve_support import AUTH, ScriptedAgents, run_view, served, start, wait_for


class OwnConnections(ScriptedAgents):
    """Each run's agent connects to the server itself: the pool closes an agent (its MCP
    connections) when its work ends, the pause included."""

    def new(self, spec: RunSpec, store: Store) -> Agent:
        self.tools = list(mcp_tools(server_command()))
        return super().new(spec, store)


def test_a_question_is_shown_and_answered_through_the_api(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "journal.sqlite3")
    with mcp_tools(server_command()) as tools:
        names = list(tools)
    with served(store, OwnConnections([("ask_person", {}), "done"], names)) as base:
        run_id = start(base)
        wait_for(lambda: run_view(base, run_id)["status"] == "awaiting_approval", "the pause")
        awaiting = run_view(base, run_id)["awaiting"]
        assert awaiting["question"] == "What is your name?"
        assert awaiting["answer_schema"]["properties"]["name"]["type"] == "string"
        answer = f"{base}/v1/runs/{run_id}/answer"
        wrong = httpx.post(answer, json={"content": {"name": 7}}, headers=AUTH)
        assert wrong.status_code == 409, wrong.text
        assert "7 is not of type 'string'" in wrong.json()["detail"]
        right = httpx.post(answer, json={"content": {"name": "Ada"}}, headers=AUTH)
        assert right.status_code == 202, right.text
        wait_for(lambda: run_view(base, run_id)["status"] == "completed", "the answer")
    journal = store.load(run_id)
    assert isinstance(journal[-1], FinalAnswer)
    assert [e.content for e in journal if isinstance(e, ElicitationAnswered)] == [{"name": "Ada"}]
    results = [e.output for e in journal if isinstance(e, ToolResulted)]
    assert results == ['{"result":"elicitation: accept Ada"}']
