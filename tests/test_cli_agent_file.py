"""``autan run --agent FILE`` with good files: the entry agent (or cascade) runs on loopback
servers as the file declares, and a file's MCP server is connected for the agent naming it."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import pytest

from autan import Agent, SQLiteStore, load_agent
from autan.cli import main
from autan.cli.agent_file import AGENT_FILE_KEY
from autan.testing import ScriptedModel
from fake_chat_server import FakeChatServer, Reply, completion, function_call
from mcp_helpers import TEST_SERVER
from test_cli import autan
from test_cli_resume import cut_after_tool_result


def call(name: str, arguments: dict[str, object]) -> Reply:
    return Reply(body=completion(tool_calls=[function_call("c1", name, arguments)]))


def test_the_entry_hands_off_to_the_agent_on_another_server(tmp_path: Path) -> None:
    with (
        FakeChatServer([call("transfer_to_billing", {})]) as front,
        FakeChatServer(
            [call("calculator", {"expression": "6 * 7"}), Reply(body=completion("42"))]
        ) as back,
    ):
        path = tmp_path / "team.toml"
        path.write_text(
            f'[agents.triage]\nmodel = "openai:front@{front.url}"\ntool_protocol = "native"\n'
            f'handoffs = ["billing"]\n\n[agents.billing]\nmodel = "openai:back@{back.url}"\n'
            'tool_protocol = "native"\ntools = ["calculator"]\n',
            encoding="utf-8",
        )
        done = autan("run", "--agent", str(path), "--no-store", "--json", "6 * 7?", cwd=tmp_path)
        asked = (len(front.requests), len(back.requests))
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert records[-1]["status"] == "completed"
    (answer,) = [r["output"] for r in records if r["type"] == "final_answer"]
    assert answer == "42"
    handoffs = [(r["from_agent"], r["to_agent"]) for r in records if r["type"] == "handoff"]
    assert handoffs == [("triage", "billing")]
    assert asked == (1, 2)


def test_a_cascade_entry_runs_its_tiers(tmp_path: Path) -> None:
    store = tmp_path / "journal.sqlite3"
    with (
        FakeChatServer([call("calculator", {"expression": "1"})]) as small,
        FakeChatServer([Reply(body=completion("42"))]) as big,
    ):
        path = tmp_path / "cascade.toml"
        path.write_text(
            'entry = "solve"\n[cascades.solve]\ntiers = ["small", "big"]\n'
            f'[agents.small]\nmodel = "openai:small@{small.url}"\ntool_protocol = "native"\n'
            'tools = ["calculator"]\n[agents.small.limits]\nmax_steps = 1\n'
            f'[agents.big]\nmodel = "openai:big@{big.url}"\ntool_protocol = "native"\n',
            encoding="utf-8",
        )
        done = autan("run", "--agent", str(path), "--store", str(store), "6 * 7?", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "42"
    lines = done.stderr.splitlines()
    assert any(line.startswith("tier 1 escalated: limit") for line in lines)
    assert "answered by tier 2 (openai:big) · escalations 1" in lines[-1]


def test_an_mcp_server_of_the_file_gives_its_tools(tmp_path: Path) -> None:
    path = tmp_path / "team.toml"
    command = json.dumps(shlex.join([sys.executable, str(TEST_SERVER)]))
    path.write_text(
        f"[mcp.servers.test]\ncommand = {command}"
        '\nargs = ["tools"]\n\n[agents.adder]\nmcp = ["test"]\n',
        encoding="utf-8",
    )
    model = ScriptedModel([("add", {"a": 2, "b": 3}), "5"])
    agent = load_agent(path, models={"adder": model})
    assert isinstance(agent, Agent)
    with agent:
        result = agent.run("2 + 3?")
    assert result.output == "5"
    assert "add" in [t.name for t in model.requests[0].tools]
    assert [m.content for m in model.requests[-1].messages if m.role == "tool"] == ['{"result":5}']


def test_runs_resume_loads_the_agent_file_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AUTAN_HOME", str(tmp_path))
    replies = [call("calculator", {"expression": "37 * 91"}), Reply(body=completion("3367"))]
    with FakeChatServer(replies) as server:
        path = tmp_path / "team.toml"
        path.write_text(
            f'[agents.solo]\nmodel = "openai:m@{server.url}"\ntool_protocol = "native"\n'
            'tools = ["calculator"]\n',
            encoding="utf-8",
        )
        assert main(["run", "--agent", str(path), "--quiet", "What is 37 * 91?"]) == 0
        with SQLiteStore(tmp_path / "journal.sqlite3") as store:
            (info,) = store.runs()
        assert info.config[AGENT_FILE_KEY]["file"] == str(path.resolve())
        cut_after_tool_result(tmp_path / "journal.sqlite3", info.run_id)
        server.replies.append(Reply(body=completion("3367")))
        capsys.readouterr()
        assert main(["runs", "resume", info.run_id]) == 0
        asked = len(server.requests)
    assert capsys.readouterr().out.strip() == "3367"
    assert asked == 3  # the step after the cut only
