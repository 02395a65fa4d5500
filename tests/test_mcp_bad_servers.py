"""Servers that misbehave: each is a one-line error (``MCPServerError``, exit 2 at the CLI) or a
tool error the model reads; never a hang or a traceback."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from autan import Agent, MCPServerError, ToolResulted, mcp_tools
from autan.testing import ScriptedModel
from mcp_helpers import server_command
from test_cli import autan


@pytest.mark.parametrize(
    ("command", "message"),
    [
        (
            "no-such-mcp-server --flag",
            "MCP server 'no_such_mcp_server': cannot run 'no-such-mcp-server': "
            "No such file or directory",
        ),
        (
            server_command("exit-in-initialize"),
            "MCP server 'mcp_raw_server' failed to start: Connection closed "
            '(its stderr: crashing on \'{"jsonrpc":"2.0","id\')',
        ),
        (
            server_command("bad-schema"),
            "MCP server 'mcp_test_server': tool 'broken' has an invalid input schema "
            "(properties/x/type: 'integr' is not valid under any of the given schemas)",
        ),
    ],
)
def test_a_server_that_cannot_start_is_one_clear_error(command: str, message: str) -> None:
    with pytest.raises(MCPServerError) as failed:
        mcp_tools(command)
    assert str(failed.value) == message


def test_invalid_json_rpc_on_stdout_is_named_when_initialize_times_out() -> None:
    started = time.monotonic()
    with pytest.raises(MCPServerError) as failed:
        mcp_tools(server_command("garbage"), connect_timeout=2)
    assert time.monotonic() - started < 15
    message = str(failed.value)
    assert message.startswith("MCP server 'mcp_raw_server' did not answer initialize within 2 s")
    assert "invalid JSON-RPC on its stdout" in message


def observe(script: list[object], **options: float) -> list[ToolResulted]:
    with (
        mcp_tools(server_command(), **options) as tools,  # type: ignore[arg-type]
        Agent(ScriptedModel(script), tools) as agent,  # type: ignore[arg-type]
    ):
        run = agent.run("go")
    return [e for e in run.events if isinstance(e, ToolResulted)]


def test_a_server_that_dies_mid_call_is_a_tool_error_then_reported_gone() -> None:
    died, after = observe([("die", {}), ("add", {"a": 1, "b": 1}), "done"])
    assert died.is_error
    assert died.output == "error: MCP server 'mcp_test_server' is no longer running"
    assert after.is_error
    assert after.output == died.output


def test_a_call_that_never_answers_times_out_and_the_server_stays_usable() -> None:
    hung, added = observe([("hang", {}), ("add", {"a": 1, "b": 2}), "done"], timeout=2)
    assert hung.is_error
    assert hung.output == "error: MCP server 'mcp_test_server' did not answer within 2 s"
    assert hung.seconds < 10
    assert added.output == '{"result":3}'


def test_a_hung_call_says_what_the_server_last_said() -> None:
    """A server that waits on a package install (mcp-server-fetch's readable mode, offline) is a
    timeout that names the last line the server wrote on stderr."""
    (hung,) = observe([("install_and_hang", {}), "done"], timeout=2)
    assert hung.is_error
    assert hung.output == (
        "error: MCP server 'mcp_test_server' did not answer within 2 s "
        "(its stderr: npm ERR! network request to registry.npmjs.org failed)"
    )
    assert hung.seconds < 10


def test_a_ten_megabyte_result_is_bounded() -> None:
    (huge,) = observe([("huge", {}), "done"])
    assert not huge.is_error
    assert len(huge.output) < 4100
    assert huge.output.endswith(" chars]")


def test_the_cli_reports_a_missing_server_in_one_line() -> None:
    done = autan("run", "x", "--no-store", "--mcp", "no-such-mcp-server")
    assert done.returncode == 2
    assert done.stderr == (
        "autan: error: MCP server 'no_such_mcp_server': cannot run 'no-such-mcp-server': "
        "No such file or directory\n"
    )


def test_the_cli_reports_invalid_json_rpc_in_one_line_without_a_traceback() -> None:
    done = autan("mcp", "tools", server_command("garbage"))
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1, done.stderr
    assert "invalid JSON-RPC on its stdout" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_bad_mcp_config_file_is_one_line(tmp_path: object) -> None:
    done = autan("mcp", "tools", "x", "--mcp-config", "/no/such/mcp.json")
    assert done.returncode == 2
    assert done.stderr.startswith("autan: error: cannot read the MCP config /no/such/mcp.json")
    assert done.stderr.count("\n") == 1


def test_the_server_process_does_not_outlive_a_failed_start() -> None:
    with pytest.raises(MCPServerError):
        mcp_tools(server_command("garbage"), connect_timeout=1)
    listed = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True, check=True)
    assert f"{sys.executable} {server_command('garbage').split()[1]} garbage" not in listed.stdout
