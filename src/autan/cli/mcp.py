"""``autan mcp tools SERVER``: what a server offers; ``autan mcp serve``: an agent as an MCP
server (``autan/mcp_server/``)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, TypeVar

from autan.cli.args import limit
from autan.cli.display import EXIT_OK, tool_line
from autan.cli.mcp_servers import add_mcp_arguments, add_mcp_timeout, configured
from autan.protocols import TOOL_PROTOCOLS

if TYPE_CHECKING:
    from autan.tools import Tool

Parser = TypeVar("Parser", bound=argparse.ArgumentParser)


def add_mcp_commands(commands: argparse._SubParsersAction[Parser]) -> None:
    group = commands.add_parser("mcp", help="use MCP servers, or serve an agent over MCP")
    actions = group.add_subparsers(dest="mcp_command", required=True)
    tools = actions.add_parser("tools", help="list an MCP server's tools, one per line")
    tools.add_argument(
        "server", help="a command line, an http(s):// URL, or a configured server's name"
    )
    tools.add_argument("--mcp-config", metavar="FILE", default=None, help="mcpServers JSON")
    add_mcp_timeout(tools, "how long the server may take to initialize and list (default 30)")
    serve = actions.add_parser("serve", help="serve an agent as an MCP server (run_task tool)")
    serve.add_argument("--transport", choices=("stdio", "http"), default="stdio")
    serve.add_argument("--host", default="127.0.0.1", help="for --transport http")
    serve.add_argument("--port", type=int, default=8000, help="for --transport http")
    serve.add_argument("--model", default=None, help="the served agent's model spec")
    serve.add_argument("--tool-protocol", choices=TOOL_PROTOCOLS, default=None)
    serve.add_argument("--workspace", default=".", metavar="DIR", help="its file tools' dir")
    serve.add_argument("--max-steps", type=limit(int, "max_steps"), default=None, metavar="N")
    serve.add_argument("--store", metavar="URL|PATH", default=None, help="its journal")
    serve.set_defaults(max_tokens=None, max_seconds=None, actions="tools", context=None)
    add_mcp_arguments(serve)


def run_mcp(args: argparse.Namespace) -> int:
    if args.mcp_command == "serve":
        from autan.cli.mcp_serve import serve

        served: int = serve(args)
        return served
    return _list_tools(args)


def _list_tools(args: argparse.Namespace) -> int:
    from autan.cli.settings import load_settings
    from autan.mcp import mcp_tools, server

    named = configured(load_settings(), args.mcp_config)
    target = named.get(args.server) or server(args.server)
    # it calls no tool: the seconds a run's call may wait for the server bound the one wait it has
    waits = {} if args.mcp_timeout is None else {"connect_timeout": args.mcp_timeout}
    with mcp_tools(target, approve_destructive=True, **waits) as tools:
        for listed in tools:
            print(tool_line(listed.spec, _flags(listed)))
    return EXIT_OK


def _flags(listed: Tool) -> list[str]:
    flags = []
    if listed.read_only:
        flags.append("read-only")
    if listed.needs_approval:
        flags.append("destructive: needs approval")
    if listed.idempotent and not listed.read_only:
        flags.append("idempotent")
    return flags
