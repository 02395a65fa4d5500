"""Retries with exponential backoff and jitter (tenacity), honouring a server's Retry-After."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from autan.models._http_errors import RetryableStatus

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """``attempts`` tries in all; waits grow from ``base_seconds`` up to ``max_seconds``."""

    attempts: int = 4
    base_seconds: float = 0.5
    max_seconds: float = 30.0

    def call(self, function: Callable[[], T], retryable: Callable[[BaseException], bool]) -> T:
        from tenacity import Retrying

        try:
            for attempt in Retrying(**self._options(retryable)):
                with attempt:
                    return function()
        except RetryableStatus as final:
            raise final.error from None
        raise AssertionError("unreachable: tenacity either returns or raises")

    async def acall(
        self, function: Callable[[], Awaitable[T]], retryable: Callable[[BaseException], bool]
    ) -> T:
        from tenacity import AsyncRetrying

        try:
            async for attempt in AsyncRetrying(**self._options(retryable)):
                with attempt:
                    return await function()
        except RetryableStatus as final:
            raise final.error from None
        raise AssertionError("unreachable: tenacity either returns or raises")

    def _options(self, retryable: Callable[[BaseException], bool]) -> dict[str, Any]:
        from tenacity import retry_if_exception, stop_after_attempt

        return {
            "stop": stop_after_attempt(self.attempts),
            "wait": self._wait,
            "retry": retry_if_exception(retryable),
            "reraise": True,
        }

    def _wait(self, state: Any) -> float:
        from tenacity import wait_random_exponential

        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, RetryableStatus) and error.retry_after is not None:
            return min(error.retry_after, self.max_seconds)
        backoff = wait_random_exponential(multiplier=self.base_seconds, max=self.max_seconds)
        return float(backoff(state))
