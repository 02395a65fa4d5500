"""Build what an agent file declares: its models, agents (tools, handoffs, agents as tools,
output type, limits) and cascades, through the public constructors only."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autan.agent import Agent
from autan.agent.cascade import Cascade
from autan.agent_file._references import build_order, check_references
from autan.agent_file._schema import AgentFileTable, AgentTable
from autan.agent_file._tools import listed_tools
from autan.agent_file._where import Source
from autan.limits import Limits, check_limit
from autan.models.base import Model
from autan.tools import Tool

if TYPE_CHECKING:
    from autan.mcp import MCPServer
    from autan.pricing import Price
    from autan.store import Store


@dataclass(frozen=True, slots=True)
class Defaults:
    """What an agent file leaves to its caller: ``autan run`` gives ``autan.toml``'s."""

    model: str = "local"
    prices: Mapping[str, Price] = field(default_factory=dict)
    servers: Mapping[str, MCPServer] = field(default_factory=dict)
    """MCP servers known by name before the file's own ``[mcp.servers]``."""
    metadata: Mapping[str, Any] = field(default_factory=dict)
    """Journaled with every agent's runs (``autan run --agent``: how to load the file again)."""


@dataclass(frozen=True, slots=True)
class Team:
    """What a file built: the entry (an agent or a cascade) and every agent by name."""

    entry: Agent[Any] | Cascade[Any]
    agents: Mapping[str, Agent[Any]]

    def close(self) -> None:
        """Close every agent (their MCP connections)."""
        for agent in self.agents.values():
            agent.close()


@dataclass
class Builder:
    table: AgentFileTable
    source: Source
    models: Mapping[str, Model]
    store: Store | None
    workspace: Path
    defaults: Defaults
    built: dict[str, Agent[Any]] = field(default_factory=dict)
    cascades: dict[str, Cascade[Any]] = field(default_factory=dict)
    loaded: dict[tuple[Any, ...], Model] = field(default_factory=dict)

    def team(self) -> Team:
        servers = self._servers()
        entry = check_references(self.table, self.source, servers)
        for name in self.models:
            if name not in self.table.agents:
                raise self.source.error(("agents",), f"models= names no agent {name!r}")
        try:
            for name in build_order(self.table, self.source):
                self.built[name] = self._agent(name, self.table.agents[name], servers)
            cascades = {n: self._cascade(n) for n in self.table.cascades}  # built once each
        except BaseException:
            for agent in self.built.values():
                agent.close()
            raise
        return Team(cascades.get(entry) or self.built[entry], dict(self.built))

    def _servers(self) -> dict[str, MCPServer]:
        from autan.mcp import from_entry

        servers = dict(self.defaults.servers)
        for name, entry in self.table.mcp.servers.items():
            with self.source.at(("mcp", "servers", name)):
                servers[name] = from_entry(name, entry)
        return servers

    def _agent(self, name: str, table: AgentTable, servers: Mapping[str, MCPServer]) -> Agent[Any]:
        key = ("agents", name)
        model = self._model(name, table)
        tools = self._tools(name, table, model, servers)
        extra: dict[str, Any] = {}
        if table.instructions is not None:
            extra["instructions"] = table.instructions
        with self.source.at((*key, "output_schema")):
            output_type = self._output_type(table.output_schema)
        bounds = table.limits.model_dump(exclude_none=True)
        for bound, value in bounds.items():
            with self.source.at((*key, "limits", bound)):
                check_limit(bound, value)
        limits = Limits(**bounds)
        with self.source.at(key):
            return Agent(
                model,
                tools,
                limits=limits,
                store=self.store,
                metadata=self.defaults.metadata,
                actions=table.actions,
                output_type=output_type,
                trust=table.trust,
                name=name,
                description=table.description,
                handoffs=[self.built[target] for target in table.handoffs],
                **extra,
            )

    def _model(self, name: str, table: AgentTable) -> Model:
        if name in self.models:
            return self.models[name]
        from autan.models import load_model

        spec = table.model or self.defaults.model
        settings = (spec, table.tool_protocol, table.reasoning, table.context, table.decode)
        if settings not in self.loaded:  # agents on the same model share it (one load)
            key = ("agents", name, "model") if table.model else ("agents", name)
            with self.source.at(key):
                self.loaded[settings] = load_model(
                    spec,
                    tool_protocol=table.tool_protocol,
                    prices=dict(self.defaults.prices),
                    reasoning=table.reasoning,
                    context=table.context,
                    decode=table.decode,
                )
        return self.loaded[settings]

    def _tools(
        self, name: str, table: AgentTable, model: Model, servers: Mapping[str, MCPServer]
    ) -> list[Tool]:
        from autan.tools.builtin import builtin_tools

        with self.source.at(("workspace",)):
            builtin = {t.name: t for t in builtin_tools(self.workspace)}
        tools = listed_tools(table.tools, builtin, self.source, name)
        tools += [self._member(target).as_tool(name=target) for target in table.agent_tools]
        if table.mcp:
            from autan.mcp import mcp_tools

            with self.source.at(("agents", name, "mcp")):
                tools += mcp_tools(
                    *(servers[s] for s in table.mcp),
                    sampling_model=model,
                    reserved={t.name for t in tools},
                )
        return tools

    def _output_type(self, schema_file: str | None) -> object:
        from autan.errors import ConfigurationError
        from autan.tools import schema_answer_type

        if schema_file is None:
            return None
        path = self.source.relative(schema_file)
        try:
            schema = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as error:
            raise ConfigurationError(f"cannot read JSON Schema {path}: {error}") from None
        if not isinstance(schema, dict):
            raise ConfigurationError(f"{path}: a JSON Schema is an object")
        return schema_answer_type(schema, schema_file)

    def _member(self, name: str) -> Agent[Any] | Cascade[Any]:
        """An agent of the file, or a cascade (its tiers are built: ``build_order``)."""
        return self.built[name] if name in self.built else self._cascade(name)

    def _cascade(self, name: str) -> Cascade[Any]:
        if name in self.cascades:
            return self.cascades[name]
        self.cascades[name] = self._new_cascade(name)
        return self.cascades[name]

    def _new_cascade(self, name: str) -> Cascade[Any]:
        table = self.table.cascades[name]
        extra: dict[str, Any] = {}
        if table.escalate_on is not None:
            extra["escalate_on"] = table.escalate_on
        with self.source.at(("cascades", name, "escalate_on" if extra else "tiers")):
            return Cascade([self.built[t] for t in table.tiers], store=self.store, **extra)
