"""``RecordedModel``: stands in for a run's model during a replay (``Agent.replay``): it has the
model's name and refuses to be called, so a replay can never reach a server or need a key."""

from __future__ import annotations

from autan.errors import ModelError
from autan.messages import ModelRequest, ModelResponse
from autan.models.base import Model


class RecordedModel(Model):
    def __init__(self, name: str) -> None:
        self.name = name

    def complete(self, request: ModelRequest) -> ModelResponse:
        raise ModelError("a replay never calls the model")
