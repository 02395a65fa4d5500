"""A bound on the requests in flight to one model server, shared by every run of a process.

``limited(model, n)`` wraps a model so that at most ``n`` of its requests (all runs, all threads
of this process that use the same server) are being answered at once; a run that wants another
waits (backpressure) instead of adding to the server's queue. 100 agents then share one
llama.cpp server without overloading it: each waits its turn while its run is between steps.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

from autan.messages import ModelRequest, ModelResponse
from autan.models.base import Model

_GUARD = threading.Lock()
_SLOTS: dict[tuple[str, int], threading.BoundedSemaphore] = {}


def server_of(model: Model) -> str:
    """What the bound is kept per: a server's base URL, else the model's name."""
    return str(getattr(model, "base_url", None) or model.name)


def slots_for(server: str, limit: int) -> threading.BoundedSemaphore:
    """The one semaphore of ``server`` (per limit) in this process."""
    with _GUARD:
        return _SLOTS.setdefault((server, limit), threading.BoundedSemaphore(limit))


class InFlightLimited(Model):
    """``model``, with each request holding one of its server's slots while it is answered."""

    def __init__(self, model: Model, slots: threading.BoundedSemaphore) -> None:
        self.inner = model
        self.name = model.name
        self.slots = slots

    def complete(self, request: ModelRequest) -> ModelResponse:
        with self.slots:
            return self.inner.complete(request)

    def stream(self, request: ModelRequest) -> Iterator[str | ModelResponse]:
        with self.slots:
            yield from self.inner.stream(request)

    def __getattr__(self, name: str) -> Any:  # count_tokens, tool_protocol, …: the model's own
        return getattr(self.inner, name)


def limited(model: Model, limit: int) -> Model:
    """``model`` bounded to ``limit`` requests in flight to its server."""
    if isinstance(model, InFlightLimited):
        return model
    return InFlightLimited(model, slots_for(server_of(model), limit))
