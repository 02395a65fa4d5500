"""Which MCP servers a command connects to: ``--mcp`` (a command line, a URL, or the name of a
configured server), ``--mcp-config FILE`` (``mcpServers`` JSON) and ``[mcp.servers.NAME]`` of
``autan.toml``; and how a journaled run names them to connect again."""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from autan.errors import ConfigurationError

if TYPE_CHECKING:
    from autan.cli.settings import Settings
    from autan.mcp import MCPServer


def add_mcp_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--mcp",
        action="append",
        default=[],
        metavar="SERVER",
        help='use an MCP server\'s tools: a command line ("python -m mcp_server_time"), an '
        "http(s):// URL (streamable HTTP; .../sse for SSE), or a configured name; repeatable",
    )
    parser.add_argument(
        "--mcp-config",
        metavar="FILE",
        default=None,
        help="use every server of an mcpServers JSON file (as Claude Desktop or Cursor read)",
    )
    add_mcp_timeout(
        parser,
        "how long an MCP tool call may wait for its result (default 60), for each server whose "
        "configuration sets no timeout of its own",
    )
    parser.add_argument(
        "--mcp-no-approval",
        action="store_true",
        help="run tools that MCP servers mark destructive without asking first",
    )


def add_mcp_timeout(parser: argparse.ArgumentParser, waits: str) -> None:
    """``--mcp-timeout SECONDS``: a positive number of seconds (``autan.mcp.call_timeout``'s
    rule), ``None`` when absent; ``waits`` says, in the command's help, what it bounds."""
    parser.add_argument("--mcp-timeout", type=_seconds, default=None, metavar="SECONDS", help=waits)


def _seconds(text: str) -> float:
    from autan.mcp import call_timeout

    try:
        return call_timeout(float(text), "the timeout")
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    except ConfigurationError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def configured(settings: Settings, config_file: str | None) -> dict[str, MCPServer]:
    """The servers known by name: ``autan.toml``'s, then the ``--mcp-config`` file's."""
    from autan.mcp import from_config_file

    named = {s.name: s for s in settings.mcp}
    if config_file:
        named.update({s.name: s for s in from_config_file(config_file)})
    return named


def servers_for_run(args: argparse.Namespace, settings: Settings) -> list[MCPServer]:
    """Every configured server, then each ``--mcp`` (a name picks a configured one)."""
    from autan.mcp import server

    named = configured(settings, args.mcp_config)
    chosen = dict(named)
    for spec in args.mcp:
        target = named.get(spec) or server(spec)
        chosen[target.name] = target
    waits = getattr(args, "mcp_timeout", None)
    return [_waiting(target, waits) for target in chosen.values()]


def _waiting(target: MCPServer, seconds: float | None) -> MCPServer:
    """``target`` with ``--mcp-timeout`` where its configuration sets no timeout."""
    import dataclasses

    if seconds is None or target.timeout is not None:
        return target
    return dataclasses.replace(target, timeout=seconds)


def recorded(servers: Iterable[MCPServer]) -> list[dict[str, Any]]:
    """How the journal names the servers: no environment values (they may hold keys)."""
    return [s.describe() for s in servers]


def from_record(entries: Sequence[Mapping[str, Any]], settings: Settings) -> list[MCPServer]:
    """The servers of a journaled run; a configured server of the same name gives its
    environment and headers back."""
    from autan.mcp import MCPServer

    named = {s.name: s for s in settings.mcp}
    servers = []
    for entry in entries:
        try:
            name = str(entry["name"])
            known = named.get(name)
            servers.append(
                MCPServer(
                    name,
                    command=tuple(entry.get("command", ())),
                    url=entry.get("url"),
                    transport=entry.get("transport", "stdio"),
                    cwd=entry.get("cwd"),
                    env=known.env if known else {},
                    headers=known.headers if known else {},
                    trust=entry.get("trust"),
                    timeout=entry.get("timeout"),
                )
            )
        except (KeyError, TypeError) as error:
            raise ConfigurationError(f"unreadable MCP server in the journal: {error}") from None
    return servers
