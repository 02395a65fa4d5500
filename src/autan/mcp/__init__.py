"""Tools from MCP servers (the Model Context Protocol), on the official ``mcp`` SDK.

    from autan import Agent, mcp_tools

    with mcp_tools("python -m mcp_server_time") as tools:
        Agent(tools=tools).run("What time is it in Tokyo?")

Each server is one connection, opened here (started, initialized, its tools listed) and kept
until ``close()``: by the ``with`` block, by ``Agent.close()`` for the agent holding the tools,
or when the process ends. ``mcp`` is loaded here, never by ``import autan``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from autan.mcp._servers import MCPServer, call_timeout, from_config_file, from_entry, server
from autan.mcp._toolset import MCPTools, open_toolset

if TYPE_CHECKING:
    from autan.models.base import Model

__all__ = [
    "MCPServer",
    "MCPTools",
    "amcp_tools",
    "call_timeout",
    "from_config_file",
    "from_entry",
    "mcp_tools",
    "server",
]


def mcp_tools(
    *servers: str | MCPServer,
    approve_destructive: bool = True,
    connect_timeout: float = 30.0,
    timeout: float = 60.0,
    sampling_model: Model | None = None,
    reserved: Iterable[str] = (),
) -> MCPTools:
    """Connect to each server (a command line, an ``http(s)://`` URL, or an ``MCPServer``) and
    return its tools as autan tools.

    A name that two servers (or a name in ``reserved``) share is prefixed by its server's name.
    ``timeout``: the seconds one call may wait for its result, for each server that sets none
    (``MCPServer.timeout``); a call that waits longer is a tool error the model reads, and the
    connection stays open for the next call. ``approve_destructive=False`` runs tools the
    server marks destructive without asking.
    ``sampling_model`` answers the servers' sampling requests (else they are refused), within
    the run's limits and journaled. A server's question for a person (elicitation) pauses a
    journaled run until ``autan.store.answer`` (``autan runs answer``) answers it; it is
    declined in a run without a journal. Raises ``MCPServerError`` when a server cannot be
    started, does not initialize within ``connect_timeout``, or lists an unusable tool, and
    for a ``timeout`` that is not a positive number.
    """
    default = call_timeout(timeout)
    targets = [server(spec) for spec in servers]
    return open_toolset(
        targets, approve_destructive, connect_timeout, default, sampling_model, set(reserved)
    )


async def amcp_tools(*servers: str | MCPServer, **options: Any) -> MCPTools:
    """``mcp_tools``, without blocking the event loop while the servers start."""
    return await asyncio.to_thread(lambda: mcp_tools(*servers, **options))
