"""``autan serve``: an HTTP API and a web page to start, watch and steer runs.

The server is a view of the journal: every run it starts or continues is journaled to its
store, its event stream is the journal (replayed, then followed), and on restart it resumes the
runs it was executing. Needs the ``autan[serve]`` extra (FastAPI, uvicorn, sse-starlette).

``create_app(store, agents)`` builds the ASGI app; ``agents`` is an ``AgentSource``: how an
agent is built for a new run and rebuilt for a journaled one.
"""

from __future__ import annotations

from autan.serve._app import ServeOptions, create_app
from autan.serve._auth import token_from_file
from autan.serve._server import run_server
from autan.serve._source import AgentSource, Offered, RunSpec

__all__ = [
    "AgentSource",
    "Offered",
    "RunSpec",
    "ServeOptions",
    "create_app",
    "run_server",
    "token_from_file",
]
