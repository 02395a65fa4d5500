"""The idempotency key of the tool call now running, for tools with side effects.

A tool that changes the world (writes a file, sends a message, charges a card) reads
``idempotency_key()`` and makes its effect conditional on the key not having been used before
(for example a unique column, an ``Idempotency-Key`` header, or a ledger of keys). Declared
``@tool(idempotent=True)``, such a tool may then be re-run safely when a resumed run finds that
it started but its result was never journaled: that is the contract for tools with side effects.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_KEY: ContextVar[str | None] = ContextVar("autan_idempotency_key", default=None)


def idempotency_key() -> str | None:
    """The key of the current call: ``"<run_id>:<step>:<index of the call in its step>"``.

    Stable across a crash and resume of the run. ``None`` outside a call made by an agent.
    """
    return _KEY.get()


@contextmanager
def call_key(key: str) -> Iterator[None]:
    """Make ``key`` the current call's key while the block runs (used by the drivers)."""
    token = _KEY.set(key)
    try:
        yield
    finally:
        _KEY.reset(token)
