"""Retries with exponential backoff and jitter (tenacity), honouring a server's Retry-After;
no wait runs past the time the caller has left (``time_left``)."""

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

    def call(
        self,
        function: Callable[[], T],
        retryable: Callable[[BaseException], bool],
        time_left: Callable[[], float] | None = None,
    ) -> T:
        """``function()``; tenacity takes over only after a retryable failure, so a first
        attempt that succeeds costs a plain call. A wait is cut to ``time_left()`` (a request's
        deadline), so the next attempt meets the deadline instead of overrunning it."""
        try:
            return function()
        except BaseException as error:
            replay = self._replay_or_raise(error, retryable)
        from tenacity import Retrying

        try:
            for attempt in Retrying(**self._options(retryable, time_left)):
                with attempt:
                    replay.raise_once()
                    return function()
        except RetryableStatus as final:
            raise final.error from None
        raise AssertionError("unreachable: tenacity either returns or raises")

    async def acall(
        self,
        function: Callable[[], Awaitable[T]],
        retryable: Callable[[BaseException], bool],
        time_left: Callable[[], float] | None = None,
    ) -> T:
        try:
            return await function()
        except BaseException as error:
            replay = self._replay_or_raise(error, retryable)
        from tenacity import AsyncRetrying

        try:
            async for attempt in AsyncRetrying(**self._options(retryable, time_left)):
                with attempt:
                    replay.raise_once()
                    return await function()
        except RetryableStatus as final:
            raise final.error from None
        raise AssertionError("unreachable: tenacity either returns or raises")

    def _replay_or_raise(
        self, error: BaseException, retryable: Callable[[BaseException], bool]
    ) -> _Replay:
        """The first attempt's failure, for tenacity to go on from; raised at once (a
        retryable status as its typed error) when it is not to be retried."""
        if self.attempts > 1 and retryable(error):
            return _Replay(error)
        if isinstance(error, RetryableStatus):
            raise error.error from None
        raise error

    def _options(
        self, retryable: Callable[[BaseException], bool], time_left: Callable[[], float] | None
    ) -> dict[str, Any]:
        from tenacity import retry_if_exception, stop_after_attempt

        def wait(state: Any) -> float:
            seconds = self._wait(state)
            return seconds if time_left is None else max(0.0, min(seconds, time_left()))

        return {
            "stop": stop_after_attempt(self.attempts),
            "wait": wait,
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


class _Replay:
    """The first attempt's failure, raised again as tenacity's first attempt so its waits and
    stop count run as if tenacity had made that attempt."""

    def __init__(self, error: BaseException) -> None:
        self._error: BaseException | None = error

    def raise_once(self) -> None:
        error, self._error = self._error, None
        if error is not None:
            raise error
