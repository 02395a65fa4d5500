"""``autan batch TASKS.jsonl --out DIR``: many runs at once, on worker processes, threads, or Ray.

Exit status: 0 when every task answered, 1 when a task did not or a line was bad (each bad line
is reported with its number; the rest of the batch runs), 2 for bad input (nothing ran).
"""

from __future__ import annotations

import argparse
import runpy
import sys
from typing import TYPE_CHECKING, Any, TypeVar

from autan.cli.display import EXIT_FAILED, EXIT_OK, batch_bad_line, batch_summary
from autan.errors import ConfigurationError
from autan.protocols import TOOL_PROTOCOLS

if TYPE_CHECKING:
    from autan.agent import Agent
    from autan.cli.recipe import Recipe
    from autan.cli.settings import Settings
    from autan.store import Store

Parser = TypeVar("Parser", bound=argparse.ArgumentParser)


def add_batch_command(commands: argparse._SubParsersAction[Parser]) -> None:
    batch = commands.add_parser(
        "batch",
        help="run many tasks (one per line of a JSON-lines file), resumable, in parallel",
        description="Each line: a task's text, a JSON string, or an object with task, id and "
        "options (max_steps, max_total_tokens, max_wall_seconds, instructions).",
    )
    batch.add_argument("tasks", metavar="TASKS.jsonl", help="the tasks, one per line")
    batch.add_argument(
        "--out",
        required=True,
        metavar="DIR",
        help="results.jsonl and the journal go here; "
        "the same DIR again skips finished tasks and resumes the others",
    )
    batch.add_argument(
        "--model", default=None, help="model spec (default: autan.toml, AUTAN_MODEL, or local)"
    )
    batch.add_argument(
        "--agent",
        metavar="FILE",
        default=None,
        help="a Python file defining make_agent(store) -> Agent (instead of --model and the "
        "built-in tools)",
    )
    batch.add_argument("--tool-protocol", choices=TOOL_PROTOCOLS, default=None)
    batch.add_argument("--workspace", default=".", metavar="DIR", help="the file tools' directory")
    batch.add_argument("--max-steps", type=int, default=None, metavar="N")
    _parallel_arguments(batch)


def _parallel_arguments(batch: argparse.ArgumentParser) -> None:
    batch.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="worker processes (each loads the model once), or Ray actors (default: 1)",
    )
    batch.add_argument(
        "--threads",
        type=int,
        default=1,
        metavar="N",
        help="runs at once in one process, for a model server (default: 1)",
    )
    batch.add_argument(
        "--max-in-flight",
        type=int,
        default=None,
        metavar="N",
        help="requests in flight to one model server at most (default with --threads: 4)",
    )
    batch.add_argument(
        "--ray",
        nargs="?",
        const="auto",
        default=None,
        metavar="ADDRESS",
        help="run on Ray: auto (alone) starts a local instance; HOST:PORT joins a cluster",
    )
    batch.add_argument(
        "--store",
        metavar="URL|PATH",
        default=None,
        help="the journal (default: DIR/journal.sqlite3; postgresql:// for several machines)",
    )


def run_batch(args: argparse.Namespace) -> int:
    from autan.batching import batch
    from autan.cli.batch_progress import BatchProgress

    factory = _factory(args)
    with BatchProgress(sys.stderr) as progress:
        summary = batch(
            args.tasks,
            args.out,
            agent=factory,
            workers=args.workers,
            threads=args.threads,
            max_in_flight=args.max_in_flight,
            ray=args.ray,
            store=args.store,
            on_start=progress.start,
            on_result=progress.advance,
        )
    for bad in summary.bad_lines:
        batch_bad_line(args.tasks, bad)
    batch_summary(summary.line(), args.out)
    return EXIT_OK if summary.ok else EXIT_FAILED


def _factory(args: argparse.Namespace) -> Any:
    if args.agent is not None:
        if args.model is not None:
            raise ConfigurationError("give --agent or --model, not both: the file builds its model")
        return AgentFile(args.agent)
    from autan.cli.recipe import Recipe
    from autan.cli.settings import load_settings

    settings = load_settings()
    recipe = Recipe(
        model=args.model or settings.model,
        tool_protocol=args.tool_protocol or settings.tool_protocol,
        workspace=_workspace(args.workspace),
        max_steps=settings.max_steps if args.max_steps is None else args.max_steps,
        max_total_tokens=None,
        max_wall_seconds=None,
    )
    from autan.models import load_model

    load_model(recipe.model, recipe.tool_protocol)  # a bad spec or key fails here, not per task
    return RecipeAgent(recipe, settings)


def _workspace(path: str) -> str:
    from pathlib import Path

    resolved = Path(path).expanduser().resolve()
    if not resolved.is_dir():
        raise ConfigurationError(f"the workspace {path} is not a directory")
    return str(resolved)


class RecipeAgent:
    """``autan run``'s agent, with its recipe journaled, so ``autan runs resume`` continues a
    batch's run as it continues one of ``autan run``."""

    def __init__(self, recipe: Recipe, settings: Settings) -> None:
        self.recipe = recipe
        self.settings = settings

    def __call__(self, store: Store) -> Agent:
        return self.recipe.build(store, self.settings)


class AgentFile:
    """The agent of a Python file's ``make_agent(store)``."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __call__(self, store: Store) -> Agent:
        from autan.agent import Agent

        try:
            namespace = runpy.run_path(self.path)
        except (OSError, SyntaxError) as problem:
            raise ConfigurationError(f"cannot load the agent file {self.path}: {problem}") from None
        make = namespace.get("make_agent")
        if not callable(make):
            raise ConfigurationError(f"{self.path} defines no make_agent(store)")
        agent = make(store)
        if not isinstance(agent, Agent):
            raise ConfigurationError(
                f"make_agent in {self.path} returned {type(agent).__name__}, not an Agent"
            )
        return agent
