"""Every failure the API answers is a JSON body ``{"detail": ...}`` with a 4xx status; anything
unforeseen is a 500 with a one-line body, never a traceback."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from autan.errors import ConfigurationError, RunInProgress, StoreError
from autan.serve._pool import AlreadyInPool, PoolFull, Stopping
from autan.serve._runs import Conflict

log = logging.getLogger("autan.serve")

_STATUS: tuple[tuple[type[Exception], int, str | None], ...] = (
    (Conflict, 409, None),
    (AlreadyInPool, 409, "the run is queued or running already"),
    (PoolFull, 429, "too many runs are waiting; try again later"),
    (Stopping, 503, "the server is shutting down"),
    (RunInProgress, 409, None),
    (ConfigurationError, 422, None),
    (StoreError, 503, None),
)


def add_error_handlers(app: FastAPI) -> None:
    for kind, status, text in _STATUS:
        app.add_exception_handler(kind, _answer(status, text))
    app.add_exception_handler(Exception, _unforeseen)


def _answer(
    status: int, text: str | None
) -> Callable[[Request, Exception], Awaitable[JSONResponse]]:
    async def handle(request: Request, error: Exception) -> JSONResponse:
        return JSONResponse({"detail": text or str(error)}, status_code=status)

    return handle


async def _unforeseen(request: Request, error: Exception) -> JSONResponse:
    log.exception("%s %s failed", request.method, request.url.path, exc_info=error)
    return JSONResponse({"detail": f"internal error: {type(error).__name__}"}, status_code=500)
