"""Opening several servers as one set of tools: one connection each, names kept unique."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, overload

from autan.mcp._adapter import to_tool, tool_name
from autan.mcp._connection import Connection
from autan.mcp._server_requests import answer_elicitation, sampling_handler
from autan.mcp._servers import MCPServer
from autan.tools import Tool

if TYPE_CHECKING:
    from types import TracebackType

    from autan.models.base import Model


class MCPTools(Sequence[Tool]):
    """The tools of one or more servers, and their open connections."""

    def __init__(self, tools: Iterable[Tool], connections: Iterable[Connection]) -> None:
        self._tools = tuple(tools)
        self.connections = tuple(connections)

    @overload
    def __getitem__(self, index: int) -> Tool: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Tool]: ...
    def __getitem__(self, index: int | slice) -> Tool | Sequence[Tool]:
        return self._tools[index]

    def __len__(self) -> int:
        return len(self._tools)

    def __iter__(self) -> Iterator[Tool]:
        return iter(self._tools)

    def close(self) -> None:
        for connection in self.connections:
            connection.close()

    def __enter__(self) -> MCPTools:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def open_toolset(
    servers: list[MCPServer],
    approve_destructive: bool,
    connect_timeout: float,
    call_timeout: float,
    sampling_model: Model | None,
    reserved: set[str],
) -> MCPTools:
    sampling = sampling_handler(sampling_model) if sampling_model is not None else None
    opened: list[tuple[Connection, list[Any]]] = []
    try:
        for target in servers:
            waits = call_timeout if target.timeout is None else target.timeout
            connection = Connection(target, connect_timeout, waits, sampling, answer_elicitation)
            opened.append((connection, connection.open()))
        tools = _tools(opened, approve_destructive, reserved)
    except BaseException:
        for connection, _ in opened:
            connection.close()
        raise
    return MCPTools(tools, [connection for connection, _ in opened])


def _tools(
    opened: list[tuple[Connection, list[Any]]], approve_destructive: bool, reserved: set[str]
) -> list[Tool]:
    counts = Counter(tool_name(t.name) for _, listed in opened for t in listed)
    tools = []
    for connection, listed in opened:
        for item in listed:
            name = tool_name(item.name)
            if counts[name] > 1 or name in reserved:
                name = f"{connection.server.name}_{name}"
            tools.append(to_tool(connection, item, name, approve_destructive))
    return tools
