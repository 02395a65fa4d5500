"""How ``autan run`` builds its agent, and how a journaled run's agent is built again: the one
recipe that run, resume and replay all use.

``autan run`` records a ``Recipe`` (model spec, tool protocol, workspace, limits, actions, MCP
servers) in
the run's configuration under ``"cli"``; ``autan runs resume|replay ID`` read it back. A recipe
holds no secrets: API keys come from the environment of the process that builds the agent.
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autan.errors import AutanError, ConfigurationError

if TYPE_CHECKING:
    from autan.agent import Agent
    from autan.cli.settings import Settings
    from autan.limits import Limits
    from autan.models import Model
    from autan.store import Store
    from autan.tools import Tool

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
    mcp: tuple[dict[str, Any], ...] = ()
    """The MCP servers (``cli/mcp_servers.py`` ``recorded``): connected again on resume."""
    mcp_approval: bool = True
    output_schema: dict[str, Any] | None = None
    """The JSON Schema every answer must match (``--output-schema``); ``None``: text."""
    context: int | None = None
    """The embedded model's context size (``None``: its default)."""
    decode: str | None = None
    trust: str | dict[str, Any] = "default"
    """The trust rules as journaled (``TrustRules.describe``)."""
    fetch: bool = False
    """The ``fetch`` tool (``autan.web``) is offered; ``fetch_private``: to any address."""
    fetch_private: bool = False
    builtin: tuple[str, ...] | None = None
    """The built-in tools the agent gets, by name (``autan serve``'s tools profile); ``None``:
    all of them."""

    def __post_init__(self) -> None:
        from autan.loop import check_actions, trust_rules
        from autan.protocols import check_name

        check_name(self.tool_protocol)
        check_actions(self.actions)
        trust_rules(self.trust)

    @classmethod
    def from_flags(cls, args: argparse.Namespace, settings: Settings) -> Recipe:
        """``autan run``'s flags, with ``settings`` where a flag is not given."""
        from autan.cli.mcp_servers import recorded, servers_for_run

        return cls(
            model=args.model or settings.model,
            tool_protocol=args.tool_protocol or settings.tool_protocol,
            workspace=str(Path(args.workspace).expanduser().resolve()),
            max_steps=settings.max_steps if args.max_steps is None else args.max_steps,
            max_total_tokens=args.max_tokens,
            max_wall_seconds=args.max_seconds,
            actions=args.actions,
            mcp=tuple(recorded(servers_for_run(args, settings))),
            mcp_approval=not args.mcp_no_approval,
            output_schema=_schema_file(getattr(args, "output_schema", None)),
            context=settings.context if args.context is None else args.context,
            decode=getattr(args, "decode", None),
            trust=_trust(args, settings),
            fetch=bool(getattr(args, "fetch", False)) or settings.fetch,
            fetch_private=bool(getattr(args, "fetch_private", False)) or settings.fetch_private,
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

    @classmethod
    def to_continue(
        cls, run_id: str, config: Mapping[str, Any], settings: Settings, send_key_anyway: bool
    ) -> Recipe:
        """The recipe of a journaled run whose agent is built again with this environment's
        keys (``runs resume``, ``run -c``, ``chat -c``): refused where its model would take a
        key to a server the key is not configured for (``check_key_destination``)."""
        recipe = cls.from_journal(run_id, config)
        recipe.check_key_destination(settings, send_key_anyway)
        return recipe

    def check_key_destination(self, settings: Settings, send_anyway: bool) -> None:
        """A journal is data: its recipe may name any server. Building it again must not send
        this environment's API key to a server the key was not configured for (the provider's
        own, or the one this process's ``model`` setting names) unless the user says so."""
        from autan.models.spec import key_destination

        destination = key_destination(self.model)
        if destination is None or send_anyway:
            return
        variable, origin, own = destination
        try:
            configured = key_destination(settings.model)
        except AutanError:
            configured = None
        if own or (configured is not None and configured[:2] == (variable, origin)):
            return
        raise ConfigurationError(
            f"the run's recipe would send {variable} to {origin}, a server this key is not "
            f"configured for (autan.toml or AUTAN_MODEL names {settings.model!r}); pass "
            "--send-key-to-recipe-server to send it anyway"
        )

    def limits(self) -> Limits:
        from autan.limits import Limits

        return Limits(
            max_steps=self.max_steps,
            max_total_tokens=self.max_total_tokens,
            max_wall_seconds=self.max_wall_seconds,
        )

    def build(self, store: Store | None, settings: Settings, model: Model | None = None) -> Agent:
        """The agent, with the built-in tools on the workspace and the MCP servers' tools,
        journaling to ``store``; close it to end the servers' connections.

        Prices and the reasoning policy come from this process's ``settings``, keys from its
        environment. ``model`` replaces the recipe's (a replay gives a ``RecordedModel``).
        """
        from autan.agent import Agent
        from autan.loop import check_actions, trust_rules
        from autan.models import load_model
        from autan.tools import schema_answer_type
        from autan.tools.builtin import builtin_tools

        if model is None:
            model = load_model(
                self.model,
                tool_protocol=self.tool_protocol,
                prices=settings.prices,
                reasoning=settings.reasoning,
                context=self.context,
                decode=self.decode,
            )
        builtin = [
            t
            for t in [*builtin_tools(self.workspace), *self._web_tools()]
            if self.builtin is None or t.name in self.builtin
        ]
        return Agent(
            model,
            [*builtin, *self._mcp_tools(settings, model, {t.name for t in builtin})],
            limits=self.limits(),
            store=store,
            metadata={RECIPE_KEY: dataclasses.asdict(self)},
            actions=check_actions(self.actions),
            output_type=None
            if self.output_schema is None
            else schema_answer_type(self.output_schema, "--output-schema"),
            trust=trust_rules(self.trust),
        )

    def _web_tools(self) -> list[Tool]:
        if not self.fetch:
            return []
        from autan.web import fetch_tool

        return [fetch_tool(allow_private=self.fetch_private)]

    def _mcp_tools(self, settings: Settings, model: Model, reserved: set[str]) -> Sequence[Tool]:
        if not self.mcp:
            return ()
        from autan.cli.mcp_servers import from_record
        from autan.mcp import mcp_tools

        servers = from_record(self.mcp, settings)
        return mcp_tools(
            *servers,
            approve_destructive=self.mcp_approval,
            sampling_model=model,
            reserved=reserved,
        )


def _trust(args: argparse.Namespace, settings: Settings) -> str | dict[str, Any]:
    """The trust rules of ``autan.toml`` with ``--trust`` and ``--trust-tool`` over them."""
    from autan.loop import TrustRules

    flags = dict(getattr(args, "trust_tool", None) or ())
    rules = settings.trust or TrustRules()
    return rules.overridden(getattr(args, "trust", None), flags).describe()


def _schema_file(path: str | None) -> dict[str, Any] | None:
    """The JSON Schema in file ``path``; ``ConfigurationError`` if it cannot be read as one."""
    import json

    if path is None:
        return None
    try:
        schema = json.loads(Path(path).expanduser().read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise ConfigurationError(f"--output-schema {path}: cannot read JSON: {error}") from None
    if not isinstance(schema, dict):
        raise ConfigurationError(f"--output-schema {path}: a JSON Schema is an object")
    return schema
