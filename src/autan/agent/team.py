"""Handoffs: ``Agent(handoffs=[billing, support])`` offers the model one tool per target
(``transfer_to_billing``); calling it hands the conversation to that agent, which continues the
same run with the history so far and its own instructions, tools and model.

Every agent a handoff can reach (the team) is configured for the run when it starts, each by
its name; the loop switches between them (``HandedOff``), the performer calls the model of the
agent whose turn it is. The run's limits are those of the agent that started it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from autan.errors import ConfigurationError
from autan.loop.config import LoopConfig
from autan.tools import Tool

if TYPE_CHECKING:
    from autan.agent.member import Member

HANDOFF_PREFIX = "transfer_to_"
MAX_NAME = 48


def check_name(name: str) -> str:
    """An agent's name: a Python identifier (tool names are made from it), ASCII, short."""
    if not (name.isascii() and name.isidentifier() and len(name) <= MAX_NAME):
        raise ConfigurationError(
            f"agent name {name!r} must be an ASCII identifier of at most {MAX_NAME} characters"
        )
    return name


def check_handoffs(agent: Member, targets: Sequence[Member]) -> None:
    """What a handoff needs of its targets: agents, each named once, in tools mode, giving
    the same kind of answer (a run's result has one output type)."""
    names: set[str] = set()
    for target in targets:
        if target.name in names or target.name == agent.name:
            raise ConfigurationError(f"two agents of a handoff are named {target.name!r}")
        names.add(target.name)
        if "code" in (agent.actions, target.actions):
            raise ConfigurationError("handoffs work between agents in tools mode")
        if _schema(target) != _schema(agent):
            raise ConfigurationError(
                f"handoff target {target.name!r} must answer with the same output_type"
            )


def handoff_tool(target: Member) -> Tool:
    """The tool that hands the conversation to ``target``; the loop makes the transfer, so its
    function never runs."""
    about = f" ({target.description})" if target.description else ""
    return Tool(
        HANDOFF_PREFIX + target.name,
        f"Hand the conversation to the {target.name} agent{about}; it answers from then on.",
        {"type": "object", "properties": {}, "additionalProperties": False},
        _transfer,
        check_arguments=_no_arguments,
        source="builtin",
    )


def members(entry: Member) -> dict[str, Member]:
    """Every agent a handoff can reach from ``entry``, ``entry`` first, by name."""
    found: dict[str, Member] = {}
    waiting = [entry]
    while waiting:
        agent = waiting.pop(0)
        known = found.get(agent.name)
        if known is agent:
            continue
        if known is not None:
            raise ConfigurationError(f"two agents of a handoff are named {agent.name!r}")
        found[agent.name] = agent
        waiting.extend(agent.handoffs)
    return found


def with_team(config: LoopConfig, team: Mapping[str, Member]) -> LoopConfig:
    """``config`` (the entry agent's) with every member configured for the same run."""
    configs: dict[str, LoopConfig] = {}
    for name, agent in team.items():
        tools = (*agent.tools, *(handoff_tool(t) for t in agent.handoffs))
        configs[name] = dataclasses.replace(
            config,
            model_name=agent.model.name,
            tools=tools,
            instructions=agent.instructions,
            actions=agent.actions,
            answer=agent.answer,
            agent_name=name,
            handoffs={HANDOFF_PREFIX + t.name: t.name for t in agent.handoffs},
            team=configs,
        )
    return next(iter(configs.values()))


def _schema(agent: Member) -> object:
    return agent.answer.schema if agent.answer is not None else None


def _transfer() -> str:
    return "transferred"


def _no_arguments(arguments: dict[str, Any]) -> dict[str, Any]:
    return {}  # a small model may write some: the transfer needs none
