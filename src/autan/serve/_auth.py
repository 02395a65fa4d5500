"""The bearer token every API call must carry, and the file it is kept in."""

from __future__ import annotations

import os
import secrets
import stat
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from autan.errors import ConfigurationError

QUERY_TOKEN = "access_token"
"""Where a browser's ``EventSource`` (which cannot set headers) puts the token."""

scheme = HTTPBearer(auto_error=False, description="the token printed by autan serve")


def token_from_file(path: Path) -> tuple[str, bool]:
    """The token in ``path``, made (mode 0600) if there is none; True when it was just made."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read(path), False
    except OSError as error:
        raise ConfigurationError(f"cannot create the token file {path}: {error}") from None
    token = secrets.token_urlsafe(32)
    with os.fdopen(descriptor, "w") as file:
        file.write(token + "\n")
    return token, True


def _read(path: Path) -> str:
    try:
        mode = path.stat().st_mode
        token = path.read_text().strip()
    except OSError as error:
        raise ConfigurationError(f"cannot read the token file {path}: {error}") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigurationError(f"the token file {path} is open to others; chmod 600 it")
    if len(token) < 16:
        raise ConfigurationError(f"the token in {path} is shorter than 16 characters")
    return token


def bearer(token: str | None, query: bool = False) -> Callable[..., Awaitable[None]]:
    """A dependency that refuses a request without ``token`` (401); ``None``: no token needed.
    With ``query``, the token may also come as the ``access_token`` query parameter."""

    async def check(
        request: Request, given: Annotated[HTTPAuthorizationCredentials | None, Depends(scheme)]
    ) -> None:
        if token is None:
            return
        offered = given.credentials if given is not None else None
        if offered is None and query:
            offered = request.query_params.get(QUERY_TOKEN)
        if offered is None or not secrets.compare_digest(offered.encode(), token.encode()):
            raise HTTPException(
                401, "a missing or wrong bearer token", headers={"WWW-Authenticate": "Bearer"}
            )

    return check
