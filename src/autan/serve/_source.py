"""How the server gets an agent: built for a new run from what the client asked, rebuilt for a
journaled run from its recorded configuration. The server owns neither decision."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from autan.agent import Agent
    from autan.store import Store


@dataclass(frozen=True, slots=True)
class RunSpec:
    """What a client asked for in ``POST /v1/runs``; ``None`` leaves the source's default."""

    task: str
    model: str | None = None
    max_steps: int | None = None
    max_total_tokens: int | None = None
    max_wall_seconds: float | None = None


class AgentSource(Protocol):
    """Builds the agents of a server. Both methods raise ``ConfigurationError`` on bad input."""

    def new(self, spec: RunSpec, store: Store) -> Agent:
        """An agent for a new run of ``spec``, journaling to ``store``."""
        ...

    def existing(self, run_id: str, config: Mapping[str, Any], store: Store) -> Agent:
        """The agent of journaled run ``run_id`` (``config``: what it was started with)."""
        ...
