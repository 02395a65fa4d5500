"""A run's tools profile: ``POST /v1/runs`` names the tools and MCP servers (of those the server
was started with, ``autan serve --mcp``) its agent gets; unknown names are a 422."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from autan import SQLiteStore
from autan.cli.mcp_servers import recorded
from autan.cli.serve import RecipeAgents, Served
from autan.cli.settings import load_settings
from autan.mcp import server
from fake_chat_server import FakeChatServer, Reply, completion, function_call
from mcp_helpers import server_command
from serve_support import AUTH, run_view, served, start, wait_for
from test_serve_cli import _serve

ADD = function_call("c1", "add", {"a": 2, "b": 3})


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("AUTAN_HOME", str(tmp_path))
    monkeypatch.setenv("AUTAN_TOOL_PROTOCOL", "native")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _agents(chat: FakeChatServer, workspace: Path) -> RecipeAgents:
    servers = Served(recorded([server(server_command())]))
    return RecipeAgents(load_settings(), f"openai:m@{chat.url}", str(workspace), servers)


def _offered_to_model(chat: FakeChatServer, request: int = 0) -> list[str]:
    return sorted(t["function"]["name"] for t in chat.requests[request].body.get("tools", []))


def test_a_run_gets_only_the_tools_and_servers_it_names(home: Path) -> None:
    replies = [Reply(body=completion(tool_calls=[ADD])), Reply(body=completion("5"))]
    replies += [Reply(body=completion("4"))]
    with (
        FakeChatServer(replies) as chat,
        SQLiteStore(home / "journal.sqlite3") as store,
        served(store, _agents(chat, home)) as base,
    ):
        offered = httpx.get(f"{base}/v1/tools", headers=AUTH).json()
        with_mcp = start(base, "2 + 3?", tools=["mcp_test_server"])
        wait_for(lambda: run_view(base, with_mcp)["status"] == "completed", "the MCP run")
        mcp_tools = _offered_to_model(chat)
        calculator_only = start(base, "2 + 2?", tools=["calculator"])
        wait_for(lambda: run_view(base, calculator_only)["status"] == "completed", "the run")
        answer = run_view(base, with_mcp)["answer"]
        config = store.info(with_mcp).config
    assert offered["mcp"] == ["mcp_test_server"]
    assert {"calculator", "read_file", "write_file"} <= set(offered["tools"])
    assert "add" in mcp_tools
    assert "read_file" not in mcp_tools  # no built-in tool was named
    assert _offered_to_model(chat, 2) == ["calculator"]
    assert answer == "5"
    assert [s["name"] for s in config["cli"]["mcp"]] == ["mcp_test_server"]  # resume: the same
    assert config["cli"]["builtin"] == []
    assert "add" in config["tools"]


def test_unknown_tools_or_servers_are_a_422(home: Path) -> None:
    with (
        FakeChatServer([]) as chat,
        SQLiteStore(home / "journal.sqlite3") as store,
        served(store, _agents(chat, home)) as base,
    ):
        answer = httpx.post(
            f"{base}/v1/runs", json={"task": "hi", "tools": ["calculator", "rm_rf"]}, headers=AUTH
        )
        empty = httpx.post(f"{base}/v1/runs", json={"task": "hi", "tools": [""]}, headers=AUTH)
        assert store.runs() == []
    assert answer.status_code == 422
    assert answer.json()["detail"].startswith("unknown tools or MCP servers: rm_rf; this server")
    assert "mcp_test_server" in answer.json()["detail"]
    assert empty.status_code == 422


def test_autan_serve_mcp_offers_the_server(tmp_path: Path) -> None:
    import signal

    server_process, url, _ = _serve(
        tmp_path, "--no-token", "--store", str(tmp_path / "j"), "--mcp", server_command()
    )
    try:
        offered = httpx.get(f"{url}/v1/tools").json()
    finally:
        server_process.send_signal(signal.SIGINT)
        server_process.wait(30)
    assert offered["mcp"] == ["mcp_test_server"]
