"""The ASGI app: the runs API, the web page, the OpenAPI document, bounded bodies."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib import resources

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from autan._version import __version__
from autan.serve._bounded_body import BoundedBody
from autan.serve._chat import chat_router
from autan.serve._errors import add_error_handlers
from autan.serve._routes import runs_router, tools_router
from autan.serve._runs import Runs
from autan.serve._source import AgentSource
from autan.store import Store

PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
"""The page runs only its own script: a model's or tool's text that got in as HTML would not."""


@dataclass(frozen=True, slots=True)
class ServeOptions:
    token: str | None = None
    """Every API call must carry it (``Authorization: Bearer …``); ``None``: none needed."""
    workers: int = 2
    """Runs executing at once."""
    max_queued: int = 1000
    """Runs waiting for a worker; past it ``POST /v1/runs`` answers 429."""
    max_body_bytes: int = 1 << 20
    recover: bool = True
    """On start, resume the runs this server started and did not finish."""


def create_app(store: Store, agents: AgentSource, options: ServeOptions | None = None) -> FastAPI:
    """The app over ``store``; ``agents`` builds each run's agent. The store stays the
    caller's to close."""
    options = options or ServeOptions()
    runs = Runs(store, agents, options.workers, options.max_queued)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runs.hub.bind(asyncio.get_running_loop())
        if options.recover:
            await asyncio.to_thread(runs.recover)
        yield
        await asyncio.to_thread(runs.pool.shutdown)

    app = FastAPI(
        title="autan",
        version=__version__,
        summary="Start, watch and steer autan runs.",
        lifespan=lifespan,
        docs_url=None,  # ours, below: FastAPI's loads Swagger UI from a CDN with inline script
        redoc_url=None,
    )
    app.state.runs = runs
    app.include_router(runs_router(options.token))
    app.include_router(tools_router(options.token))
    app.include_router(chat_router(options.token))
    add_error_handlers(app)
    _add_page(app)
    app.add_middleware(BoundedBody, max_bytes=options.max_body_bytes)
    return app


def _add_page(app: FastAPI) -> None:
    static = resources.files("autan.serve") / "static"
    for path, name in (("/", "index.html"), ("/docs", "docs.html")):
        app.add_api_route(path, _html(str(static / name)), methods=["GET"], include_in_schema=False)
    app.mount("/static/docs", StaticFiles(directory=_swagger_ui()), name="docs")  # first
    app.mount("/static", StaticFiles(directory=str(static)), name="static")


def _html(path: str) -> Callable[[], Awaitable[FileResponse]]:
    async def page() -> FileResponse:
        return FileResponse(path, media_type="text/html", headers=PAGE_HEADERS)

    return page


def _swagger_ui() -> str:
    """Swagger UI's script and style as the ``fastapi-offline`` package ships them: the docs
    page works offline and under the page's policy (no CDN, no inline script)."""
    return str(resources.files("fastapi_offline") / "static")
