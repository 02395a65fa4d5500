"""``autan run --agent FILE``: the agents an agent file declares (``autan.load_agent``), with
``autan.toml``'s model, prices and MCP servers as the file's defaults."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autan.cli.display import EXIT_OK, cascade_line, paused
from autan.errors import ConfigurationError

if TYPE_CHECKING:
    from autan.agent.cascade import Cascade
    from autan.agent_file import Team
    from autan.cli.settings import Settings
    from autan.store import Store

_AGENT_FLAGS = (
    ("model", "--model"),
    ("tool_protocol", "--tool-protocol"),
    ("decode", "--decode"),
    ("context", "--context"),
    ("trust", "--trust"),
    ("max_steps", "--max-steps"),
    ("max_tokens", "--max-tokens"),
    ("max_seconds", "--max-seconds"),
    ("output_schema", "--output-schema"),
    ("mcp_config", "--mcp-config"),
    ("mcp_timeout", "--mcp-timeout"),
    ("cascade", "--cascade"),
)
"""Flags that make an agent: the file does that, so they are refused with ``--agent``."""

AGENT_FILE_KEY = "cli_agent_file"
"""Where a run started by ``autan run --agent`` journals its file and workspace, for
``autan runs resume``."""


def add_agent_file_argument(run: argparse.ArgumentParser) -> None:
    run.add_argument(
        "--agent",
        metavar="FILE",
        default=None,
        help="run the agent (or cascade) a TOML agent file declares: agents, models, tools, "
        "handoffs, agents as tools, cascades (see docs/agent-files.md)",
    )


def team_for_run(args: argparse.Namespace, settings: Settings, store: Store | None) -> Team:
    """The file's agents, journaled in ``store``; ``--workspace`` (when given) for the file
    tools; ``ConfigurationError`` for a flag the file decides."""
    given = [flag for name, flag in _AGENT_FLAGS if getattr(args, name, None) is not None]
    given += ["--mcp"] if args.mcp else []
    given += ["--actions"] if args.actions != "tools" else []
    given += ["-c"] if args.continue_last else []
    if given:
        raise ConfigurationError(f"--agent: the file declares the agents; drop {given[0]}")
    workspace = None if args.workspace == "." else str(Path(args.workspace).resolve())
    recorded = {"file": str(Path(args.agent).resolve()), "workspace": workspace}
    return _load(recorded, settings, store)


def team_to_resume(config: Mapping[str, Any], settings: Settings, store: Store) -> Team | None:
    """The agents of a run ``autan run --agent`` started, loaded again from its file (which
    the user wrote, so it may name the servers it names); ``None`` for another run."""
    recorded = config.get(AGENT_FILE_KEY)
    if not isinstance(recorded, dict) or not isinstance(recorded.get("file"), str):
        return None
    return _load(recorded, settings, store)


def _load(recorded: Mapping[str, Any], settings: Settings, store: Store | None) -> Team:
    from autan.agent_file import Defaults, load_team

    servers = {s.name: s for s in settings.mcp}
    defaults = Defaults(settings.model, settings.prices, servers, {AGENT_FILE_KEY: recorded})
    workspace = recorded.get("workspace")
    return load_team(recorded["file"], store=store, workspace=workspace, defaults=defaults)


def run_file_cascade(args: argparse.Namespace, task: str, cascade: Cascade[Any]) -> int:
    """A file whose entry is a cascade: shown as ``autan run --cascade`` shows one."""
    from autan.cli.cascade import _stream, answer_text
    from autan.cli.json_lines import write_cascade_summary
    from autan.errors import AwaitingApproval
    from autan.ids import new_run_id

    run_id = new_run_id()
    try:
        result = _stream(cascade, task, args, run_id)
    except AwaitingApproval as pause:
        return paused(str(pause.result.run_id), pause.result.events, args.store, run_id)
    if args.json:
        write_cascade_summary(result)
    elif result.output is not None:
        print(answer_text(result), flush=True)
    if not args.quiet:
        print(cascade_line(result), file=sys.stderr)
    return EXIT_OK
