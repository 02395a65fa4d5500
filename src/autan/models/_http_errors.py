"""HTTP failures of model servers as typed errors, and which of them are worth a retry."""

from __future__ import annotations

import json
import time
from typing import Any

from autan.errors import (
    AuthenticationError,
    ContextLengthExceeded,
    ModelError,
    ModelNotFoundError,
    RateLimitError,
    ServerError,
)

_CONTEXT_PHRASES = (
    "context length",
    "context window",
    "maximum context",
    "too many tokens",
    "prompt is too long",
    "exceeds the context",
    "context_length_exceeded",
)


class RetryableStatus(Exception):
    """A 429 or 5xx answer: retried, and turned into a typed error once retries run out."""

    def __init__(self, error: ModelError, retry_after: float | None) -> None:
        super().__init__(str(error))
        self.error = error
        self.retry_after = retry_after


def error_for(
    status: int, body: str, headers: Any, secret: str | None, where: str = ""
) -> Exception | None:
    """The exception for an HTTP status, or None for success; ``where`` names the server (model
    and URL) in the message. Never includes ``secret``."""
    if status < 400:
        return None
    prefix = f"{where}: " if where else ""
    message = redact(f"{prefix}HTTP {status}: {_server_message(body)}", secret)
    if status in (401, 403):
        return AuthenticationError(message)
    if status == 404:
        hint = " (check the model name, and that the URL ends with the API's base, often /v1)"
        return ModelNotFoundError(message + hint)
    if status == 429:
        return RetryableStatus(RateLimitError(message), retry_after(headers))
    if status >= 500:
        return RetryableStatus(ServerError(message), retry_after(headers))
    if any(phrase in body.lower() for phrase in _CONTEXT_PHRASES):
        return ContextLengthExceeded(message)
    return ModelError(message)


def retry_after(headers: Any) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date), if any."""
    value = headers.get("retry-after") if headers is not None else None
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    import email.utils

    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def redact(text: str, secret: str | None) -> str:
    return text.replace(secret, "***") if secret else text


def _server_message(body: str) -> str:
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return _short(body)
    error = data.get("error", data) if isinstance(data, dict) else data
    if isinstance(error, dict):
        return _short(str(error.get("message") or error.get("detail") or error))
    return _short(str(error))


def _short(text: str, width: int = 300) -> str:
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1] + "…"
