"""What an agent file's names must refer to: agents and cascades of the file, MCP servers it
(or ``autan.toml``) declares; and the order its agents are built in (a target before the agents
that use it, so a cycle is an error)."""

from __future__ import annotations

from collections.abc import Collection

from autan.agent.team import check_name
from autan.agent_file._schema import AgentFileTable
from autan.agent_file._where import Source


def check_references(table: AgentFileTable, source: Source, servers: Collection[str]) -> str:
    """Raise ``AgentFileError`` at the first name that refers to nothing; return the entry's
    name (``entry``, else the first agent)."""
    for name in table.agents:
        with source.at(("agents", name)):
            check_name(name)
    for name, cascade in table.cascades.items():
        if name in table.agents:
            raise source.error(("cascades", name), f"an agent is also named {name!r}")
        for i, tier in enumerate(cascade.tiers):
            _check_agent(table, source, ("cascades", name, "tiers", i), tier)
    for name, agent in table.agents.items():
        for i, target in enumerate(agent.agent_tools):
            if target not in table.cascades:
                _check_agent(table, source, ("agents", name, "agent_tools", i), target)
        for i, target in enumerate(agent.handoffs):
            _check_agent(table, source, ("agents", name, "handoffs", i), target)
        for i, server in enumerate(agent.mcp):
            if server not in servers:
                known = ", ".join(sorted(servers)) or "none"
                raise source.error(
                    ("agents", name, "mcp", i),
                    f"no MCP server {server!r} in [mcp.servers] (declared: {known})",
                )
    entry = table.entry or next(iter(table.agents))
    if entry not in table.agents and entry not in table.cascades:
        raise source.error(("entry",), f"no agent or cascade named {entry!r}")
    return entry


def _check_agent(
    table: AgentFileTable, source: Source, key: tuple[str | int, ...], name: str
) -> None:
    if name not in table.agents:
        known = ", ".join(table.agents)
        raise source.error(key, f"no agent named {name!r} (the agents: {known})")


def build_order(table: AgentFileTable, source: Source) -> list[str]:
    """The agents, each after the agents it uses as tools (a cascade's: its tiers) or hands
    off to; a cycle raises ``AgentFileError`` at the reference that closes it (``Agent`` takes
    built agents, so a cycle could never be built)."""
    order: list[str] = []
    visiting: list[str] = []

    def visit(name: str) -> None:
        if name in order:
            return
        visiting.append(name)
        agent = table.agents[name]
        for key in ("agent_tools", "handoffs"):
            for i, target in enumerate(getattr(agent, key)):
                tiers = table.cascades[target].tiers if target in table.cascades else [target]
                for tier in tiers:
                    if tier in visiting:
                        cycle = " -> ".join([*visiting[visiting.index(tier) :], tier])
                        raise source.error(
                            ("agents", name, key, i),
                            f"agents refer to each other in a cycle: {cycle}",
                        )
                    visit(tier)
        visiting.pop()
        order.append(name)

    for name in table.agents:
        visit(name)
    return order
