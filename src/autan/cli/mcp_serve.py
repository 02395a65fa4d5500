"""``autan mcp serve``: the agent ``autan run`` would build, served as an MCP server."""

from __future__ import annotations

import argparse

from autan.cli.display import EXIT_OK


def serve(args: argparse.Namespace) -> int:
    """Serve until the client hangs up (stdio) or Ctrl-C (HTTP)."""
    from autan.cli.recipe import Recipe
    from autan.cli.settings import load_settings
    from autan.mcp_server import agent_server
    from autan.store import open_store

    settings = load_settings()
    store = open_store(args.store)
    try:
        with Recipe.from_flags(args, settings).build(store, settings) as agent:
            server = agent_server(agent)
            if args.transport == "http":
                server.run("streamable-http", host=args.host, port=args.port)
            else:
                server.run("stdio")
    finally:
        store.close()
    return EXIT_OK
