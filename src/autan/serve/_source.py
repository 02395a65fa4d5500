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
    tools: tuple[str, ...] | None = None
    """The tools and MCP servers the run gets, by name, of those the source offers."""
    after: str | None = None
    """An answered run this one follows up on (the conversation so far)."""


@dataclass(frozen=True, slots=True)
class Offered:
    """What a source may give a run: its tools and its MCP servers, by name."""

    tools: tuple[str, ...]
    mcp: tuple[str, ...] = ()


class AgentSource(Protocol):
    """Builds the agents of a server. ``new`` and ``existing`` raise ``ConfigurationError`` on
    bad input (a tool or MCP server ``offered`` does not name, for one)."""

    def offered(self) -> Offered:
        """The names a ``RunSpec.tools`` may use."""
        ...

    def new(self, spec: RunSpec, store: Store) -> Agent:
        """An agent for a new run of ``spec``, journaling to ``store``."""
        ...

    def existing(self, run_id: str, config: Mapping[str, Any], store: Store) -> Agent:
        """The agent of journaled run ``run_id`` (``config``: what it was started with)."""
        ...
