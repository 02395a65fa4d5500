"""What every peer adapter receives: tools as data (a JSON Schema and a callback). Stdlib only.

Each ``<peer>.py`` beside this file exposes ``make_agent(tools, base_url, model)``, which builds
that framework's agent the way its docs recommend for a local OpenAI-compatible server, with
the framework's default limits and default instructions, and returns ``run(task) -> answer``.
Adapters run inside the peer's own virtual environment, so they import nothing from autan.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

API_KEY = "not-needed"
"""Local servers take any key; the OpenAI clients refuse to start without one."""

Run = Callable[[str], str]


@dataclass
class ToolDef:
    name: str
    description: str
    parameters: dict[str, Any]
    """JSON Schema object of the arguments."""
    function: Callable[..., str]
    """Called with the arguments as keyword arguments."""


def required_names(parameters: dict[str, Any]) -> set[str]:
    return set(parameters.get("required") or [])
