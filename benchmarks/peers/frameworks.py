"""Which frameworks are compared, which Python runs each, and how a worker builds an agent.

Standard library only. Peers run in their own virtual environments (``install.sh``) and are built
by the adapters in ``adapters/<peer>.py`` (``make_agent(tools, base_url, model) -> run``); autan
runs in the interpreter that runs the benchmark, built by ``autan_adapter.py``: ``autan``
through the server with the tool protocol its probe picks, ``autan_constrained`` through the
server with the ``constrained`` protocol, ``autan_embedded`` on the embedded model.
"""

from __future__ import annotations

import functools
import importlib
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
VENVS = HERE.parent / ".venvs"
PEERS = ["smolagents", "pydantic_ai", "openai_agents", "langgraph", "agno"]

MakeAgent = Callable[[list[Any], str, str], Callable[[str], str]]


def python_for(framework: str) -> str:
    if framework.startswith("autan"):
        return sys.executable
    return str(VENVS / framework.removesuffix("_code") / "bin" / "python")


def environment_for(framework: str) -> dict[str, str]:
    """The environment of a worker: autan from this checkout's ``src``; peers see no autan."""
    environment = dict(os.environ)
    environment.pop("PYTHONPATH", None)
    if framework.startswith("autan"):
        environment["PYTHONPATH"] = str(REPO / "src")
    environment.setdefault("OPENAI_API_KEY", "sk-local-not-checked")
    return environment


def load_make_agent(framework: str) -> MakeAgent:
    """``make_agent`` of a framework's adapter (run inside that framework's interpreter)."""
    if str(HERE) not in sys.path:
        sys.path.insert(0, str(HERE))
    if framework == "autan_constrained":
        return functools.partial(
            importlib.import_module("autan_adapter").make_agent, tool_protocol="constrained"
        )
    if framework.startswith("autan"):
        module = importlib.import_module("autan_adapter")
    elif framework == "smolagents_code":
        module = importlib.import_module("smolagents_code_adapter")
    else:
        module = importlib.import_module(f"adapters.{framework}")
    return module.make_agent  # type: ignore[no-any-return]


def tool_defs(tools: list[Any]) -> list[Any]:
    """The tools as the adapters' ``ToolDef`` (``adapters/_common.py``) when it exists."""
    try:
        from adapters._common import ToolDef  # type: ignore[import-not-found]
    except ImportError:
        return tools
    return [ToolDef(t.name, t.description, t.parameters, t.function) for t in tools]
