"""RetryPolicy: a first attempt that succeeds is a plain call; after a retryable failure the
attempts, waits and final error are tenacity's, counting the first attempt."""

from __future__ import annotations

import asyncio
import time

import pytest

from autan.errors import RateLimitError, ServerError
from autan.models._http_errors import RetryableStatus
from autan.models.retry_policy import RetryPolicy

FAST = RetryPolicy(attempts=3, base_seconds=0.001, max_seconds=0.01)


def busy(retry_after: float | None = None) -> RetryableStatus:
    return RetryableStatus(RateLimitError("HTTP 429: busy"), retry_after)


class Flaky:
    """Fails with the given errors, in order, then answers ``"ok"``."""

    def __init__(self, *errors: BaseException) -> None:
        self.errors = list(errors)
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "ok"

    async def acall(self) -> str:
        return self()


def retry_all(error: BaseException) -> bool:
    return isinstance(error, RetryableStatus)


def test_success_on_the_first_attempt_is_one_call() -> None:
    flaky = Flaky()
    assert FAST.call(flaky, retry_all) == "ok"
    assert flaky.calls == 1


@pytest.mark.parametrize("failures", [1, 2])
def test_retryable_failures_then_success(failures: int) -> None:
    flaky = Flaky(*[busy(0) for _ in range(failures)])
    assert FAST.call(flaky, retry_all) == "ok"
    assert flaky.calls == failures + 1


def test_attempts_count_the_first_one_and_the_typed_error_comes_out() -> None:
    flaky = Flaky(*[busy(0) for _ in range(5)])
    with pytest.raises(RateLimitError):
        FAST.call(flaky, retry_all)
    assert flaky.calls == 3


def test_a_failure_that_is_not_retryable_is_raised_at_once() -> None:
    flaky = Flaky(ValueError("bad"))
    with pytest.raises(ValueError, match="bad"):
        FAST.call(flaky, retry_all)
    assert flaky.calls == 1


def test_one_attempt_gives_the_typed_error_of_a_retryable_status() -> None:
    flaky = Flaky(RetryableStatus(ServerError("HTTP 503: down"), None))
    with pytest.raises(ServerError, match="503"):
        RetryPolicy(attempts=1).call(flaky, retry_all)
    assert flaky.calls == 1


def test_the_first_failures_retry_after_is_waited() -> None:
    flaky = Flaky(busy(0.3))
    started = time.monotonic()
    assert RetryPolicy(attempts=2, base_seconds=0.001).call(flaky, retry_all) == "ok"
    assert time.monotonic() - started >= 0.3


def test_async_follows_the_same_rules() -> None:
    flaky = Flaky(busy(0), busy(0), busy(0))
    with pytest.raises(RateLimitError):
        asyncio.run(FAST.acall(flaky.acall, retry_all))
    assert flaky.calls == 3
    again = Flaky(busy(0))
    assert asyncio.run(FAST.acall(again.acall, retry_all)) == "ok"
    assert again.calls == 2
