"""An agent as an MCP server: a ``run_task`` tool (task in; answer and run id out; a progress
notification per step) and the journal as resources (``autan://runs``, ``autan://runs/{id}``).

Built on the official SDK's ``MCPServer``; ``autan mcp serve`` runs it over stdio or streamable
HTTP. Runs are served one at a time: a local model answers one request at a time anyway.
"""

from __future__ import annotations

from autan.mcp_server._app import agent_server

__all__ = ["agent_server"]
