"""The per-call timeout, set where a user configures a server: ``mcp_tools(timeout=...)``,
``MCPServer(timeout=...)``, ``autan run --mcp-timeout``, the ``timeout`` key of an
``mcpServers`` entry (milliseconds, as Claude Code and Gemini CLI read it) and of
``[mcp.servers.NAME]`` (seconds). A call past it is a tool error the model reads; the connection
stays usable, because the server is alive (only that request is abandoned)."""

from __future__ import annotations

import json
import shlex
import sys
import textwrap
import time
from pathlib import Path

import pytest

from autan import Agent, MCPServerError, ToolResulted, mcp_tools
from autan.cli import main
from autan.cli.mcp_servers import from_record, recorded
from autan.cli.settings import load_settings
from autan.mcp import MCPServer, from_config_file, server
from autan.testing import ScriptedModel
from fake_chat_server import FakeChatServer, Reply, completion, function_call
from mcp_helpers import server_command
from test_cli import autan

SLEEPER = textwrap.dedent(
    """
    import asyncio
    from mcp.server.mcpserver import MCPServer

    server = MCPServer("sleeper")

    @server.tool()
    async def wait_forever() -> str:
        \"\"\"Never answer.\"\"\"
        await asyncio.Event().wait()
        return "never"

    @server.tool()
    def ping() -> str:
        \"\"\"Answer at once.\"\"\"
        return "pong"

    server.run("stdio")
    """
)


@pytest.fixture
def sleeper(tmp_path: Path) -> str:
    """The command line of a server, written here, whose ``wait_forever`` never answers."""
    script = tmp_path / "sleeper.py"
    script.write_text(SLEEPER)
    return f"{shlex.quote(sys.executable)} {shlex.quote(str(script))}"


def observe(tools: object) -> list[ToolResulted]:
    script = [("wait_forever", {}), ("ping", {}), "done"]
    with Agent(ScriptedModel(script), tools) as agent:  # type: ignore[arg-type]
        run = agent.run("go")
    return [e for e in run.events if isinstance(e, ToolResulted)]


def test_a_call_past_the_timeout_is_a_tool_error_and_the_next_call_is_answered(
    sleeper: str,
) -> None:
    with mcp_tools(sleeper, timeout=1) as tools:
        waited, pinged = observe(tools)
    assert waited.is_error
    assert waited.output == "error: MCP server 'sleeper' did not answer within 1 s"
    assert 0.9 < waited.seconds < 8
    assert (pinged.is_error, pinged.output) == (False, '{"result":"pong"}')


def test_a_call_s_timeout_starts_when_it_is_sent_not_while_it_waits_its_turn(
    sleeper: str,
) -> None:
    """One server's calls are made one at a time (``mcp/_connection.py`` says why): the 8th
    call of a step waits 7 s behind seven that time out, and is answered all the same."""
    step = [("wait_forever", {})] * 7 + [("ping", {})]
    with (
        mcp_tools(sleeper, timeout=1) as tools,
        Agent(ScriptedModel([step, "done"]), tools) as agent,
    ):
        run = agent.run("go")
    *waited, pinged = [e for e in run.events if isinstance(e, ToolResulted)]
    assert {e.output for e in waited} == {"error: MCP server 'sleeper' did not answer within 1 s"}
    assert (pinged.is_error, pinged.output) == (False, '{"result":"pong"}')
    assert pinged.seconds > 6.5


def test_a_server_s_own_timeout_wins_over_the_toolset_default(sleeper: str) -> None:
    own = server(sleeper)
    own = MCPServer(own.name, command=own.command, timeout=0.5)
    started = time.monotonic()
    with mcp_tools(own, timeout=600) as tools:
        waited, _ = observe(tools)
    assert waited.output == "error: MCP server 'sleeper' did not answer within 0.5 s"
    assert time.monotonic() - started < 30


@pytest.mark.parametrize("bad", [-1, 0, float("nan"), "10", True])
def test_a_bad_timeout_is_one_clear_error(sleeper: str, bad: object) -> None:
    with pytest.raises(MCPServerError) as failed:
        mcp_tools(sleeper, timeout=bad)  # type: ignore[arg-type]
    assert str(failed.value) == f"timeout must be a positive number of seconds, got {bad!r}"
    with pytest.raises(MCPServerError) as failed:
        MCPServer("s", command=("x",), timeout=bad)  # type: ignore[arg-type]
    assert str(failed.value).startswith("MCP server 's': timeout must be a positive number")


def write_config(home: Path, entry: dict[str, object]) -> Path:
    path = home / "mcp.json"
    path.write_text(json.dumps({"mcpServers": {"sleeper": entry}}))
    return path


def entry_of(command: str, **extra: object) -> dict[str, object]:
    program, *args = shlex.split(command)
    return {"command": program, "args": args, **extra}


def test_the_mcp_servers_timeout_key_is_milliseconds(sleeper: str, tmp_path: Path) -> None:
    (read,) = from_config_file(write_config(tmp_path, entry_of(sleeper, timeout=1500)))
    assert read.timeout == 1.5


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (60, "got 60 (did you mean 60000?)"),  # Cline's seconds, under the same key
        (-5, "got -5"),
        ("1000", "got '1000'"),
    ],
)
def test_a_bad_timeout_in_an_mcp_servers_file_is_one_line(
    sleeper: str, tmp_path: Path, value: object, message: str
) -> None:
    path = write_config(tmp_path, entry_of(sleeper, timeout=value))
    done = autan("mcp", "tools", "sleeper", "--mcp-config", str(path))
    assert done.returncode == 2
    assert done.stderr == (
        "autan: error: MCP server 'sleeper': timeout must be a number of milliseconds of at "
        f"least 1000, {message}\n"
    )


def test_autan_toml_timeout_is_seconds_and_a_bad_one_is_one_line(
    sleeper: str, tmp_path: Path
) -> None:
    program, *args = shlex.split(sleeper)
    table = f"[mcp.servers.sleeper]\ncommand = {json.dumps(program)}\nargs = {json.dumps(args)}\n"
    (tmp_path / "autan.toml").write_text(table + "timeout = 2.5\n")
    (configured,) = load_settings(tmp_path / "autan.toml").mcp
    assert configured.timeout == 2.5
    (tmp_path / "autan.toml").write_text(table + 'timeout = "soon"\n')
    done = autan("mcp", "tools", "sleeper", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.endswith(
        "MCP server 'sleeper': timeout must be a positive number of seconds, got 'soon'\n"
    )
    assert done.stderr.count("\n") == 1


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("AUTAN_HOME", str(tmp_path))
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run_twice(url: str, *extra: str) -> int:
    """A run whose model calls ``wait_forever``, then ``ping``, then answers."""
    spec = f"openai:m@{url}"
    return main(["run", "go", "--model", spec, "--tool-protocol", "native", *extra])


def replies() -> list[Reply]:
    wait = [function_call("c1", "wait_forever", {})]
    ping = [function_call("c2", "ping", {})]
    return [
        Reply(body=completion(tool_calls=wait)),
        Reply(body=completion(tool_calls=ping)),
        Reply(body=completion("done")),
    ]


def observed(server: FakeChatServer, request: int) -> str:
    content: str = server.requests[request].body["messages"][-1]["content"]
    return content


@pytest.mark.parametrize("where", ["flag", "mcp-config"])
def test_the_cli_timeout_ends_the_call_and_the_model_reads_why(
    home: Path, sleeper: str, where: str
) -> None:
    if where == "flag":
        extra = ["--mcp", sleeper, "--mcp-timeout", "1"]
    else:
        extra = ["--mcp-config", str(write_config(home, entry_of(sleeper, timeout=1000)))]
    with FakeChatServer(replies()) as chat:
        assert run_twice(chat.url, *extra, "--no-store") == 0
    assert "did not answer within 1 s" in observed(chat, 1)
    assert "pong" in observed(chat, 2)


def test_a_server_s_own_timeout_wins_over_the_flag(home: Path, sleeper: str) -> None:
    """``--mcp-timeout`` is the default of the servers whose configuration sets none."""
    import argparse

    path = write_config(home, entry_of(sleeper, timeout=2000))
    from autan.cli.mcp_servers import servers_for_run

    args = argparse.Namespace(mcp=["python -m mcp_server_time"], mcp_config=str(path))
    args.mcp_timeout = 9.0
    chosen = {s.name: s.timeout for s in servers_for_run(args, load_settings())}
    assert chosen == {"sleeper": 2.0, "mcp_server_time": 9.0}


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("soon", "not a number of seconds: 'soon'"),
        ("-2", "the timeout must be a positive number of seconds, got -2.0"),
    ],
)
@pytest.mark.parametrize("command", [("run", "x", "--no-store"), ("mcp", "tools", "x")])
def test_a_bad_mcp_timeout_flag_is_one_line(command: tuple[str, ...], value: str, why: str) -> None:
    done = autan(*command, "--mcp-timeout", value)
    assert done.returncode == 2
    assert done.stderr == f"autan: error: argument --mcp-timeout: {why} (see autan --help)\n"
    assert "Traceback" not in done.stderr


def test_mcp_tools_waits_for_the_listing_at_most_the_flag_s_seconds() -> None:
    """``autan mcp tools`` calls no tool: ``--mcp-timeout`` bounds initialize and tools/list
    (without it, 30 s), here of a server that never answers initialize."""
    started = time.monotonic()
    done = autan("mcp", "tools", server_command("garbage"), "--mcp-timeout", "1")
    assert time.monotonic() - started < 20
    assert done.returncode == 2
    assert done.stderr.startswith(
        "autan: error: MCP server 'mcp_raw_server' did not answer initialize within 1 s"
    )
    assert done.stderr.count("\n") == 1


def test_a_journaled_run_keeps_its_servers_timeouts(home: Path, sleeper: str) -> None:
    """``autan runs resume`` connects again with the timeout the run started with."""
    own = server(sleeper)
    journaled = recorded([MCPServer(own.name, command=own.command, timeout=3.0)])
    assert journaled[0]["timeout"] == 3.0
    (again,) = from_record(journaled, load_settings())
    assert again.timeout == 3.0
