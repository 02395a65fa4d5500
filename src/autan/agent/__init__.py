"""The agent: ``Agent`` and the one driver that runs the loop over a run's journal."""

from autan.agent._agent import DEFAULT_INSTRUCTIONS, Agent

__all__ = ["DEFAULT_INSTRUCTIONS", "Agent"]
