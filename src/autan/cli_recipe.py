"""How ``autan run`` builds its agent, and how a journaled run's agent is built again.

``autan run`` records a ``Recipe`` (model spec, tool protocol, workspace, limits) in the run's
configuration under ``"cli"``; ``autan runs resume|replay ID`` read it back. A recipe holds no
secrets: API keys come from the environment of the process that builds the agent.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autan.errors import ConfigurationError

if TYPE_CHECKING:
    from autan.agent import Agent
    from autan.config import Settings
    from autan.limits import Limits
    from autan.loop import Actions
    from autan.store import Store

RECIPE_KEY = "cli"


@dataclass(frozen=True, slots=True)
class Recipe:
    """What ``autan run`` needs to build an agent: names and numbers, never keys."""

    model: str
    tool_protocol: str | None
    workspace: str
    max_steps: int | None
    max_total_tokens: int | None
    max_wall_seconds: float | None
    actions: str = "tools"

    def __post_init__(self) -> None:
        from autan.models.spec import check_tool_protocol

        check_tool_protocol(self.tool_protocol)
        if self.actions not in ("tools", "code"):
            raise ConfigurationError(f"actions must be 'tools' or 'code', got {self.actions!r}")

    def limits(self) -> Limits:
        from autan.limits import Limits

        return Limits(
            max_steps=self.max_steps,
            max_total_tokens=self.max_total_tokens,
            max_wall_seconds=self.max_wall_seconds,
        )

    def build(self, store: Store | None, settings: Settings) -> Agent:
        """The agent, with the built-in tools on the workspace, journaling to ``store``.

        Prices and the reasoning policy come from this process's ``settings``, keys from its
        environment.
        """
        from autan.agent import Agent
        from autan.models import load_model
        from autan.tools.builtin import builtin_tools

        model = load_model(
            self.model,
            tool_protocol=self.tool_protocol,
            prices=settings.prices,
            reasoning=settings.reasoning,
        )
        tools = builtin_tools(self.workspace)
        metadata = {RECIPE_KEY: dataclasses.asdict(self)}
        actions: Actions = "code" if self.actions == "code" else "tools"
        return Agent(
            model, tools, limits=self.limits(), store=store, metadata=metadata, actions=actions
        )


def recipe_from_config(run_id: str, config: Mapping[str, Any]) -> Recipe:
    """The recipe a run was started with; a run not started by ``autan run`` has none."""
    recorded = config.get(RECIPE_KEY)
    if not isinstance(recorded, dict):
        raise ConfigurationError(
            f"run {run_id} was not started by autan run; continue it from Python with "
            "Agent.resume on an equivalent agent"
        )
    try:
        return Recipe(**recorded)
    except TypeError as error:
        raise ConfigurationError(f"run {run_id}: unreadable autan run recipe: {error}") from None


def absolute_workspace(workspace: str) -> str:
    """The workspace as an absolute path, so that a resume from elsewhere finds it."""
    return str(Path(workspace).expanduser().resolve())
