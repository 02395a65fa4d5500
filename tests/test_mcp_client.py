"""MCP tools in an agent: real servers from PyPI (time, git, fetch) and the SDK-written test
server over stdio; validation, annotations, results, sampling, elicitation, closing."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from autan import Agent, AwaitingApproval, RunResult, SQLiteStore, ToolResulted, mcp_tools
from autan.mcp import MCPServer, MCPTools, amcp_tools, server
from autan.testing import ScriptedModel
from mcp_helpers import offline, server_command

TIME = offline(f"{sys.executable} -m mcp_server_time --local-timezone UTC")


def results(agent: Agent, task: str) -> list[ToolResulted]:
    return [e for e in agent.run(task).events if isinstance(e, ToolResulted)]


def test_the_time_server_answers_through_an_agent() -> None:
    model = ScriptedModel([("get_current_time", {"timezone": "Asia/Tokyo"}), "done"])
    with mcp_tools(TIME) as tools, Agent(model, tools) as agent:
        (result,) = results(agent, "What time is it in Tokyo?")
    assert not result.is_error
    value = json.loads(result.output)
    assert value["timezone"] == "Asia/Tokyo"
    assert value["datetime"].endswith("+09:00")
    assert [t.name for t in tools] == ["get_current_time", "convert_time"]
    assert all(t.read_only and t.idempotent and not t.needs_approval for t in tools)


def test_invalid_arguments_never_reach_the_server() -> None:
    model = ScriptedModel([("get_current_time", {"timezone": 5}), "done"])
    with mcp_tools(TIME) as tools, Agent(model, tools) as agent:
        (result,) = results(agent, "time?")
    assert result.is_error
    assert result.output == "error: invalid arguments: timezone: 5 is not of type 'string'"


def test_the_git_server_reads_a_repository_the_test_made(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git = ["git", "-C", str(repo), "-c", "user.name=T", "-c", "user.email=t@example.com"]
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / "a.txt").write_text("hello\n")
    subprocess.run([*git, "add", "a.txt"], check=True)
    subprocess.run([*git, "commit", "-qm", "the first commit"], check=True)
    (repo / "a.txt").write_text("changed\n")
    script = [
        ("git_log", {"repo_path": str(repo)}),
        ("git_diff_unstaged", {"repo_path": str(repo)}),
        "done",
    ]
    command = offline(f"{sys.executable} -m mcp_server_git --repository {repo}")
    with mcp_tools(command) as tools, Agent(ScriptedModel(script), tools) as agent:
        log, diff = results(agent, "what changed?")
    assert "the first commit" in log.output
    assert "-hello" in diff.output
    assert "+changed" in diff.output
    flags = {t.name: t for t in tools}
    assert flags["git_status"].read_only
    assert flags["git_reset"].needs_approval


def test_the_fetch_server_fetches_a_page_on_loopback(tmp_path: Path) -> None:
    """The page server and the fetch server share a network namespace with only loopback up."""
    (tmp_path / "page.html").write_text(
        "<html><body><h1>Otters</h1><p>Otters hold hands while they sleep.</p></body></html>"
    )
    port = 8765
    inner = (
        f"ip link set lo up; (timeout 120 {sys.executable} -m http.server {port} "
        f"--bind 127.0.0.1 -d {tmp_path} >/dev/null 2>&1 &); sleep 1; "
        f"exec {sys.executable} -m mcp_server_fetch --allow-private-ips --ignore-robots-txt"
    )
    command = offline(f"sh -c {json.dumps(inner)}")
    if not command.startswith("unshare"):
        pytest.skip("needs unshare -rn for a private loopback")
    # raw: the page as served; its readable-text mode runs Node's Readability, whose npm
    # packages readabilipy fetches on first use (from a network this namespace does not have)
    script = [("fetch", {"url": f"http://127.0.0.1:{port}/page.html", "raw": True}), "done"]
    with mcp_tools(command) as tools, Agent(ScriptedModel(script), tools) as agent:
        (page,) = results(agent, "fetch it")
    assert not page.is_error, page.output
    assert "Otters hold hands while they sleep." in page.output


def test_one_connection_per_agent_closed_with_it() -> None:
    model = ScriptedModel([("pid", {}), ("add", {"a": 2, "b": 3}), ("pid", {}), "done"])
    tools = mcp_tools(server_command())
    with Agent(model, tools) as agent:
        first, added, second = results(agent, "pids")
    assert first.output == second.output
    assert json.loads(added.output) == {"result": 5}
    assert tools.connections[0].closed
    pid = int(json.loads(first.output)["result"])
    assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text()


def test_an_error_result_is_a_tool_error_the_model_reads() -> None:
    model = ScriptedModel([("fail", {}), "done"])
    with mcp_tools(server_command()) as tools, Agent(model, tools) as agent:
        (result,) = results(agent, "fail")
    assert result.is_error
    assert result.output.startswith("error: Error executing tool fail")


def test_images_and_resources_are_one_line_each() -> None:
    model = ScriptedModel([("picture", {}), "done"])
    with mcp_tools(server_command()) as tools, Agent(model, tools) as agent:
        (result,) = results(agent, "picture")
    assert result.output.splitlines() == [
        "[image: image/png, 3,000 bytes]",
        "[resource: file:///notes.txt, text/plain, 500 characters]",
    ]


def test_destructive_tools_wait_for_approval_unless_opted_out(tmp_path: Path) -> None:
    call = ("delete_everything", {"path": "/tmp/x"})
    store = SQLiteStore(tmp_path / "journal.sqlite3")
    with (
        mcp_tools(server_command()) as tools,
        Agent(ScriptedModel([call]), tools, store=store) as a,
        pytest.raises(AwaitingApproval) as paused,
    ):
        a.run("delete")
    assert paused.value.call.name == "delete_everything"
    model = ScriptedModel([call, "done"])
    with mcp_tools(server_command(), approve_destructive=False) as tools, Agent(model, tools) as a:
        (result,) = results(a, "delete")
    assert result.output == '{"result":"deleted /tmp/x"}'


def test_clashing_names_are_prefixed_by_server() -> None:
    tokyo, paris = server(TIME, name="tokyo"), server(TIME, name="paris")
    with mcp_tools(tokyo, paris, reserved={"nothing"}) as tools:
        names = [t.name for t in tools]
    assert names == [
        "tokyo_get_current_time",
        "tokyo_convert_time",
        "paris_get_current_time",
        "paris_convert_time",
    ]


def test_sampling_is_answered_by_the_given_model_within_its_bound() -> None:
    sampler = ScriptedModel(["forty-two"])
    model = ScriptedModel([("ask_model", {"question": "the answer?"}), "done"])
    with mcp_tools(server_command(), sampling_model=sampler) as tools, Agent(model, tools) as agent:
        (result,) = results(agent, "ask")
    assert result.output == '{"result":"the model said: forty-two"}'
    (request,) = sampler.requests
    assert request.messages[-1].content == "the answer?"
    assert request.max_tokens == 20


def test_sampling_without_a_model_and_elicitation_are_refused_in_words() -> None:
    model = ScriptedModel([("ask_model", {"question": "?"}), ("ask_person", {}), "done"])
    with mcp_tools(server_command()) as tools, Agent(model, tools) as agent:
        sampled, elicited = results(agent, "ask")
    assert sampled.is_error
    assert "Sampling not supported" in sampled.output
    assert elicited.output == '{"result":"elicitation: decline"}'


def test_the_idempotency_key_reaches_the_server(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger"
    target = MCPServer(
        "ledger", command=tuple(server_command().split()), env={"LEDGER": str(ledger)}
    )
    model = ScriptedModel([("record", {"entry": "one"}), "done"])
    with mcp_tools(target) as tools, Agent(model, tools) as agent:
        run = agent.run("record", run_id="r1")
    assert run.output == "done"
    assert ledger.read_text() == "r1:1:0 one\n"


def test_the_async_form_in_an_async_agent() -> None:
    model = ScriptedModel([("add", {"a": 20, "b": 22}), "done"])

    async def main() -> tuple[MCPTools, RunResult]:
        tools = await amcp_tools(server_command())
        async with Agent(model, tools) as agent:
            return tools, await agent.arun("add")

    tools, result = asyncio.run(main())
    assert [e.output for e in result.events if isinstance(e, ToolResulted)] == ['{"result":42}']
    assert tools.connections[0].closed


def test_two_hundred_tools_from_one_server() -> None:
    model = ScriptedModel([("echo_199", {"text": "hi"}), "done"])
    with mcp_tools(server_command("many")) as tools, Agent(model, tools) as agent:
        (result,) = results(agent, "echo")
    assert len(tools) == 200
    assert len({t.name for t in tools}) == 200
    assert result.output == '{"result":"199: hi"}'


def test_an_unclosed_connection_ends_with_the_process() -> None:
    code = (
        "from autan.mcp import mcp_tools; import sys; "
        f"tools = mcp_tools({server_command()!r}); print(tools[0].name, flush=True)"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent / "src")}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "add"
