"""``autan``: the command line. Thin: it parses, runs the public API and prints."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, NoReturn, TextIO

from autan._cli_args import at_least
from autan._version import __version__
from autan.cli_bench import add_bench_commands, run_bench
from autan.cli_runs import add_runs_commands, run_runs
from autan.cli_sandbox import add_sandbox_commands, run_sandbox
from autan.errors import AutanError, ConfigurationError

if TYPE_CHECKING:
    from autan.agent import Agent
    from autan.config import Settings
    from autan.result import RunResult
    from autan.store import Store

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
DIM, RESET = "\033[2m", "\033[0m"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"autan: error: {message} (see autan --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="autan", description="Agents on open-weight models, efficiency first.")
    parser.add_argument("--version", action="version", version=f"autan {__version__}")
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)
    add_runs_commands(commands)
    add_sandbox_commands(commands)
    add_bench_commands(commands)
    run = commands.add_parser("run", help="run an agent on a task and print its answer")
    run.add_argument("task", help="what the agent should do")
    run.add_argument(
        "--model", default=None, help="model spec (default: autan.toml, AUTAN_MODEL, or local)"
    )
    run.add_argument(
        "--tool-protocol",
        choices=["native", "constrained", "text"],
        default=None,
        help="how a server model calls tools: its own tool calling (native), JSON constrained "
        "by response_format (constrained), or tagged text such as <tool_call> (text)",
    )
    run.add_argument(
        "--actions",
        choices=["tools", "code"],
        default="tools",
        help="how the model acts: one tool call per step (tools), or Python that calls the "
        "tools, run in the sandbox (code; needs bubblewrap)",
    )
    run.add_argument(
        "--show-reasoning", action="store_true", help="print a reasoning model's thinking on stderr"
    )
    run.add_argument("--max-steps", type=at_least(int, 0), default=None, metavar="N")
    run.add_argument(
        "--max-tokens",
        type=at_least(int, 0),
        default=None,
        metavar="N",
        help="stop after this many prompt + completion tokens",
    )
    run.add_argument("--max-seconds", type=at_least(float, 0.0), default=None, metavar="S")
    run.add_argument(
        "--workspace",
        default=".",
        metavar="DIR",
        help="directory the file tools may use (default: current directory)",
    )
    journal = run.add_mutually_exclusive_group()
    journal.add_argument(
        "--store",
        metavar="URL|PATH",
        default=None,
        help="journal the run here: a SQLite file or a postgresql:// URL "
        "(default: $AUTAN_HOME/journal.sqlite3)",
    )
    journal.add_argument(
        "--no-store", action="store_true", help="do not journal the run (it cannot be resumed)"
    )
    run.add_argument("--json", action="store_true", help="write events as JSON lines on stdout")
    run.add_argument("--quiet", action="store_true", help="print only the answer")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Every command's failures map the same way: bad input 2, a failed run 1, Ctrl-C 130."""
    parser = build_parser()
    args = parser.parse_args(argv)
    commands: dict[str, Callable[[argparse.Namespace], int]] = {
        "run": _run,
        "runs": run_runs,
        "sandbox": run_sandbox,
        "bench": run_bench,
    }
    command = commands.get(args.command)
    if command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return command(args)
    except ConfigurationError as error:
        print(f"autan: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except AutanError as error:
        print(f"autan: error: {error}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("autan: interrupted", file=sys.stderr)
        return 130


def _run(args: argparse.Namespace) -> int:
    from autan.cli_continue import paused
    from autan.config import load_settings
    from autan.events import ApprovalRequested
    from autan.pricing import price_for

    if not args.task.strip():
        raise ConfigurationError("the task is empty")
    settings = load_settings()
    store = None if args.no_store else _open_store(args.store)
    try:
        agent = _build_agent(args, settings, store)
        result = _stream_run(agent, args)
    finally:
        if store is not None:
            store.close()
    if result.output is not None and not args.json:
        print(result.output, flush=True)
    if not args.quiet:
        priced = price_for(agent.model.name, settings.prices) is not None
        print(summary_line(result, priced), file=sys.stderr)
    if result.events and isinstance(result.events[-1], ApprovalRequested):
        return paused(str(result.run_id), result.events[-1].name)
    return EXIT_OK if result.output is not None else EXIT_FAILED


def _open_store(location: str | None) -> Store:
    from autan.store import open_store

    return open_store(location)


def _build_agent(args: argparse.Namespace, settings: Settings, store: Store | None) -> Agent:
    from autan.cli_recipe import Recipe, absolute_workspace

    recipe = Recipe(
        model=args.model or settings.model,
        tool_protocol=args.tool_protocol or settings.tool_protocol,
        workspace=absolute_workspace(args.workspace),
        max_steps=settings.max_steps if args.max_steps is None else args.max_steps,
        max_total_tokens=args.max_tokens,
        max_wall_seconds=args.max_seconds,
        actions=args.actions,
    )
    return recipe.build(store, settings)


def _stream_run(agent: Agent, args: argparse.Namespace) -> RunResult:
    """Run, showing each event as it happens; the result is folded from the same events."""
    from autan._run_id import new_run_id
    from autan.events import FinalAnswer, RunFailed, TextDelta
    from autan.result import RunResult

    started = time.perf_counter()
    events = []
    answer: str | None = None
    live = sys.stderr.isatty() and not (args.quiet or args.json)
    run_id = new_run_id()
    if agent.store is not None and not args.quiet:
        print(f"run {run_id}", file=sys.stderr, flush=True)
    for event in agent.stream(args.task, run_id=run_id):
        if isinstance(event, TextDelta):
            if live:
                print(f"{DIM}{event.text}{RESET}", end="", file=sys.stderr, flush=True)
            continue
        events.append(event)
        if args.json:
            print(json.dumps(event.to_dict(), default=str), flush=True)
        elif not args.quiet:
            _show(event, sys.stderr, args.show_reasoning)
        if isinstance(event, FinalAnswer):
            answer = event.output
        if isinstance(event, RunFailed):
            print(f"autan: error: {event.message}", file=sys.stderr)
    return RunResult(answer, tuple(events), time.perf_counter() - started, run_id)


def _show(event: object, stream: TextIO, show_reasoning: bool) -> None:
    from autan.cli_runs import code_summary
    from autan.events import CodeFinished, CodeStarted, ModelResponded, ToolCalled, ToolResulted

    if isinstance(event, ModelResponded) and show_reasoning and event.reasoning:
        print(f"{DIM}{event.reasoning}{RESET}", file=stream, flush=True)
    elif isinstance(event, CodeStarted):
        for line in event.code.splitlines():
            print(f"[{event.step}] | {line}", file=stream, flush=True)
    elif isinstance(event, CodeFinished):
        print(code_summary(event), file=stream, flush=True)
    elif isinstance(event, ToolCalled):
        arguments = ", ".join(f"{k}={v!r}" for k, v in event.call.arguments.items())
        print(f"[{event.step}] {event.call.name}({arguments})", file=stream, flush=True)
    elif isinstance(event, ToolResulted):
        mark = "✗" if event.is_error else "→"
        print(f"    {mark} {_short(event.output)}", file=stream, flush=True)


def summary_line(result: RunResult, priced: bool = False) -> str:
    usage = result.usage
    reasoning = f" ({usage.reasoning_tokens} reasoning)" if usage.reasoning_tokens else ""
    cost = f" · ${result.cost_usd:.6f}" if priced else ""
    return (
        f"steps {result.steps} · model calls {result.model_calls} · tool calls {result.tool_calls}"
        f" · tokens {usage.prompt_tokens} prompt ({usage.cached_tokens} cached)"
        f" / {usage.completion_tokens} completion{reasoning} · {result.seconds:.2f} s{cost}"
    )


def _short(text: str, width: int = 100) -> str:
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1] + "…"
