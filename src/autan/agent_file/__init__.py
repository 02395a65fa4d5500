"""Agent files: agents, models, tools, handoffs, agents as tools and cascades declared in TOML
(``autan run --agent FILE``, ``autan.load_agent(FILE)``); see ``docs/agent-files.md``."""

from autan.agent_file._build import Defaults, Team
from autan.agent_file._load import load_agent, load_team

__all__ = ["Defaults", "Team", "load_agent", "load_team"]
