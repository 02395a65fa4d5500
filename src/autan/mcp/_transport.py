"""The SDK's transport for a server: stdio (a child process), streamable HTTP, or SSE."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, TextIO

from autan.mcp._servers import MCPServer


def open_transport(server: MCPServer, errlog: TextIO) -> AbstractAsyncContextManager[Any]:
    """The SDK's context manager yielding ``(read_stream, write_stream)``."""
    if server.transport == "stdio":
        from mcp import StdioServerParameters, stdio_client

        command, *args = server.command
        parameters = StdioServerParameters(
            command=command, args=args, env=dict(server.env) or None, cwd=server.cwd
        )
        return stdio_client(parameters, errlog=errlog)
    assert server.url is not None  # MCPServer checks it
    if server.transport == "sse":
        from mcp.client.sse import sse_client

        return sse_client(server.url, headers=dict(server.headers) or None)
    return _streamable_http(server.url, dict(server.headers))


@asynccontextmanager
async def _streamable_http(url: str, headers: dict[str, str]) -> AsyncIterator[Any]:
    from mcp.client.streamable_http import streamable_http_client
    from mcp.shared._httpx_utils import create_mcp_http_client

    async with (
        create_mcp_http_client(headers=headers or None) as client,
        streamable_http_client(url, http_client=client) as streams,
    ):
        yield streams
