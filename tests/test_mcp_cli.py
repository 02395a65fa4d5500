"""``autan run --mcp`` / ``--mcp-config`` / ``[mcp.servers]``, ``autan mcp tools``, resume; and
the e2e run on the embedded model."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from autan import SQLiteStore
from autan.cli import main
from fake_chat_server import FakeChatServer, Reply, completion, function_call
from mcp_helpers import offline, server_command
from test_cli import autan

TIME = offline(f"{sys.executable} -m mcp_server_time --local-timezone UTC")
TOKYO = function_call("c1", "get_current_time", {"timezone": "Asia/Tokyo"})


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("AUTAN_HOME", str(tmp_path))
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run_cli(url: str, *extra: str) -> int:
    spec = f"openai:m@{url}"
    return main(["run", "Time in Tokyo?", "--model", spec, "--tool-protocol", "native", *extra])


def tool_names(server: FakeChatServer) -> list[str]:
    return [t["function"]["name"] for t in server.requests[0].body["tools"]]


def test_run_with_mcp_gives_the_model_the_servers_tools(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    replies = [Reply(body=completion(tool_calls=[TOKYO])), Reply(body=completion("08:00"))]
    with FakeChatServer(replies) as server:
        assert run_cli(server.url, "--mcp", TIME, "--no-store") == 0
    assert "get_current_time" in tool_names(server)
    assert "calculator" in tool_names(server)
    observed = server.requests[1].body["messages"][-1]
    assert observed["role"] == "tool"
    # An MCP server's result is untrusted by default: the model reads it delimited.
    assert '<untrusted-data source="mcp:mcp_server_time">' in observed["content"]
    assert json.loads(delimited(observed["content"]))["timezone"] == "Asia/Tokyo"
    assert capsys.readouterr().out == "08:00\n"


def test_mcp_config_and_autan_toml_name_servers(home: Path) -> None:
    (home / "mcp.json").write_text(
        json.dumps(
            {"mcpServers": {"clock": {"command": TIME.split()[0], "args": TIME.split()[1:]}}}
        )
    )
    command, *args = server_command().split()
    (home / "autan.toml").write_text(
        f"[mcp.servers.tester]\ncommand = {json.dumps(command)}\nargs = {json.dumps(args)}\n"
    )
    with FakeChatServer([Reply(body=completion("fine"))]) as server:
        assert run_cli(server.url, "--mcp-config", str(home / "mcp.json"), "--no-store") == 0
    names = tool_names(server)
    assert {"get_current_time", "add", "delete_everything"} <= set(names)


def test_a_builtin_name_wins_and_the_mcp_tool_is_prefixed(home: Path) -> None:
    command, *args = server_command().split()
    entry = {"command": command, "args": args, "trust": "trusted"}  # shown as it came
    (home / "mcp.json").write_text(json.dumps({"mcpServers": {"srv": entry}}))
    calls = [function_call("c1", "srv_calculator", {"expression": "1+1"})]
    replies = [Reply(body=completion(tool_calls=calls)), Reply(body=completion("2"))]
    with FakeChatServer(replies) as server:
        assert run_cli(server.url, "--mcp-config", str(home / "mcp.json"), "--no-store") == 0
    names = tool_names(server)
    assert names.count("calculator") == 1
    assert "srv_calculator" in names
    assert "srv_add" not in names  # no clash: "add" keeps its name
    observed = server.requests[1].body["messages"][-1]
    assert observed["content"] == '{"result":"the server\'s calculator got 1+1"}'


def test_resume_reconnects_the_servers_of_the_journal(
    home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    delete = function_call("c1", "delete_everything", {"path": "/x"})
    replies = [Reply(body=completion(tool_calls=[delete])), Reply(body=completion("deleted"))]
    with FakeChatServer(replies) as server:
        monkeypatch.setenv("AUTAN_MODEL", f"openai:m@{server.url}")  # the key's configured server
        assert run_cli(server.url, "--mcp", server_command()) == 3  # paused for approval
        with SQLiteStore(home / "journal.sqlite3") as store:
            (info,) = store.runs()
        assert info.config["cli"]["mcp"][0]["name"] == "mcp_test_server"
        assert main(["runs", "approve", info.run_id]) == 0
        assert main(["runs", "resume", info.run_id]) == 0
    observed = server.requests[1].body["messages"][-1]
    assert delimited(observed["content"]) == '{"result":"deleted /x"}'
    assert capsys.readouterr().out.splitlines()[-1] == "deleted"


def test_mcp_tools_lists_names_descriptions_parameters_and_hints() -> None:
    done = autan("mcp", "tools", server_command())
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "add(a: integer, b: integer) - Add two integers. [read-only]" in lines
    assert (
        "delete_everything(path: string) - Pretend to delete a path. "
        "[destructive: needs approval]" in lines
    )
    record = "record(entry: string) - Append an entry to $LEDGER once per idempotency key"
    assert f"{record} (from the request's _meta). [idempotent]" in lines


@pytest.mark.e2e
def test_the_embedded_model_calls_the_time_server(tmp_path: Path) -> None:
    """The embedded model picks the MCP tool among the built-ins, its grammar (built from the
    server's schema) gives a valid call, the server's value comes back into the run, and the
    answer gives the time (its hours and minutes).

    Under the grammar SmolLM2-135M copies the untrusted-data note (``mcp_answer_probe.py``);
    the default's ``chat-answer`` asks again in plain chat, where the result is shown as its
    fields (``timezone: Asia/Tokyo``, ``datetime: …``). Shown as the JSON after
    ``get_current_time(timezone='Asia/Tokyo') returned:`` the model explained Python's
    ``datetime`` module instead at 12 of 12 instants of a day; as fields, it quoted the time at
    12 of 12 (``benchmarks/time_answer_probe.py``, BENCHMARKS.md, issue 16). Under
    ``best-fit`` the first call is ``convert_time``: its parameters' description gives
    ``Asia/Tokyo`` as an example.

    The task names the tool's own words. "What is the current time in Asia/Tokyo?" made the
    model call ``list_dir`` with a path that ran to the token limit on session 4's fresh
    machine (the server names the machine's zone in its descriptions, ``Etc/UTC`` here).
    "What time is it in Asia/Tokyo?" calls ``convert_time`` with an ISO time the server rejects.
    """
    command = [
        sys.executable,
        "-m",
        "autan",
        "run",
        "Get the current time in the Asia/Tokyo timezone.",
    ]
    done = subprocess.run(
        [*command, "--no-store", "--mcp", TIME],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=900,  # three model calls; on a loaded 2-core machine they took up to 240 s
        stdin=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent / "src")},
    )
    assert done.returncode == 0, done.stderr
    assert "get_current_time(timezone='Asia/Tokyo')" in done.stderr
    observed = next(line for line in done.stderr.splitlines() if '"datetime":"' in line)
    assert '"timezone":"Asia/Tokyo"' in observed
    told = observed.split('"datetime":"')[1].split('"')[0]
    assert told.endswith("+09:00")
    assert told[11:16] in done.stdout  # "2026-12-03T04:10:13+09:00": 04:10


def delimited(content: str) -> str:
    """The text inside the untrusted-data delimiters of an observation."""
    return content.split('">\n', 1)[1].rsplit("\n</untrusted-data>", 1)[0]
