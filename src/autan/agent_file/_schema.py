"""The tables of an agent file, one pydantic model each: unknown keys and wrong types are
refused here, with the key's path (``autan.agent_file._lines`` finds its line)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class LimitsTable(_Table):
    """``[agents.NAME.limits]``: the fields of ``autan.Limits``; a key left out keeps its
    default (TOML has no null, so a bound that ``Limits`` leaves open stays open)."""

    max_steps: int | None = None
    max_total_tokens: int | None = None
    max_wall_seconds: float | int | None = None
    max_tool_calls: int | None = None
    tool_retries: int | None = None


class AgentTable(_Table):
    """``[agents.NAME]``: one agent."""

    instructions: str | None = None
    description: str = ""
    model: str | None = None
    tool_protocol: str | None = None
    context: int | None = None
    decode: str | None = None
    reasoning: Literal["drop", "keep", "keep_tool_turns"] | None = None
    tools: list[str] = Field(default_factory=list)
    """Built-in tool names and Python entry points ``module:function``."""
    mcp: list[str] = Field(default_factory=list)
    """Names of ``[mcp.servers.NAME]`` tables (of this file, or of ``autan.toml``)."""
    agent_tools: list[str] = Field(default_factory=list)
    """Names of agents or cascades of this file, each offered as a tool (``as_tool``)."""
    handoffs: list[str] = Field(default_factory=list)
    """Names of agents of this file the model may hand the conversation to."""
    output_schema: str | None = None
    """A JSON Schema file (relative to the agent file): the answer's shape."""
    actions: Literal["tools", "code"] = "tools"
    trust: Literal["strict", "default", "scoped", "off"] = "default"
    limits: LimitsTable = Field(default_factory=LimitsTable)


class CascadeTable(_Table):
    """``[cascades.NAME]``: tiers of agents of this file, the cheapest first."""

    tiers: list[str] = Field(min_length=1)
    escalate_on: list[str] | None = None


class MCPTable(_Table):
    """``[mcp.servers.NAME]``, as in ``autan.toml`` (each entry checked by ``autan.mcp``)."""

    servers: dict[str, dict[str, Any]] = Field(default_factory=dict)


class AgentFileTable(_Table):
    """The whole file."""

    entry: str | None = None
    """The agent or cascade that runs the task (default: the first agent)."""
    workspace: str | None = None
    """The directory the file tools may use, relative to the file (default: the current one)."""
    agents: dict[str, AgentTable] = Field(min_length=1)
    cascades: dict[str, CascadeTable] = Field(default_factory=dict)
    mcp: MCPTable = Field(default_factory=MCPTable)
