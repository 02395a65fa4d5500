"""How ``autan run`` builds its agent, and how a journaled run's agent is built again: the one
recipe that run, resume and replay all use.

``autan run`` records a ``Recipe`` (model spec, tool protocol, workspace, limits, actions) in
the run's configuration under ``"cli"``; ``autan runs resume|replay ID`` read it back. A recipe
holds no secrets: API keys come from the environment of the process that builds the agent.
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autan.errors import ConfigurationError

if TYPE_CHECKING:
    from autan.agent import Agent
    from autan.cli.settings import Settings
    from autan.limits import Limits
    from autan.models import Model
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
    decode: str | None = None

    def __post_init__(self) -> None:
        from autan.loop import check_actions
        from autan.protocols import check_name

        check_name(self.tool_protocol)
        check_actions(self.actions)

    @classmethod
    def from_flags(cls, args: argparse.Namespace, settings: Settings) -> Recipe:
        """``autan run``'s flags, with ``settings`` where a flag is not given."""
        return cls(
            model=args.model or settings.model,
            tool_protocol=args.tool_protocol or settings.tool_protocol,
            workspace=str(Path(args.workspace).expanduser().resolve()),
            max_steps=settings.max_steps if args.max_steps is None else args.max_steps,
            max_total_tokens=args.max_tokens,
            max_wall_seconds=args.max_seconds,
            actions=args.actions,
            decode=getattr(args, "decode", None),
        )

    @classmethod
    def from_journal(cls, run_id: str, config: Mapping[str, Any]) -> Recipe:
        """The recipe a run was started with; a run not started by ``autan run`` has none."""
        recorded = config.get(RECIPE_KEY)
        if not isinstance(recorded, dict):
            raise ConfigurationError(
                f"run {run_id} was not started by autan run; continue it from Python with "
                "Agent.resume on an equivalent agent"
            )
        try:
            return cls(**recorded)
        except TypeError as error:
            raise ConfigurationError(
                f"run {run_id}: unreadable autan run recipe: {error}"
            ) from None

    def limits(self) -> Limits:
        from autan.limits import Limits

        return Limits(
            max_steps=self.max_steps,
            max_total_tokens=self.max_total_tokens,
            max_wall_seconds=self.max_wall_seconds,
        )

    def build(self, store: Store | None, settings: Settings, model: Model | None = None) -> Agent:
        """The agent, with the built-in tools on the workspace, journaling to ``store``.

        Prices and the reasoning policy come from this process's ``settings``, keys from its
        environment. ``model`` replaces the recipe's (a replay gives a ``RecordedModel``).
        """
        from autan.agent import Agent
        from autan.loop import check_actions
        from autan.models import load_model
        from autan.tools.builtin import builtin_tools

        if model is None:
            model = load_model(
                self.model,
                tool_protocol=self.tool_protocol,
                prices=settings.prices,
                reasoning=settings.reasoning,
                decode=self.decode,
            )
        return Agent(
            model,
            builtin_tools(self.workspace),
            limits=self.limits(),
            store=store,
            metadata={RECIPE_KEY: dataclasses.asdict(self)},
            actions=check_actions(self.actions),
        )
