"""``autan run TASK``: run an agent on a task, show each step as it happens, print the answer."""

from __future__ import annotations

import argparse
import sys
import time
from typing import TYPE_CHECKING, Any, TypeVar

from autan.cli.agent_file import add_agent_file_argument
from autan.cli.args import DECODE_HELP, add_send_key_argument, at_least, limit, tool_decision
from autan.cli.cascade import add_cascade_argument
from autan.cli.display import (
    EXIT_CODES,
    EXIT_FAILED,
    EXIT_OK,
    LiveText,
    Waiting,
    error,
    paused,
    show_live,
    summary_line,
)
from autan.cli.json_lines import write_event, write_run, write_summary
from autan.cli.mcp_servers import add_mcp_arguments
from autan.cli.otel import add_otel_argument, apply_otel
from autan.cli.task import add_task_arguments, read_task
from autan.errors import ConfigurationError
from autan.loop import ACTIONS, TRUST_POLICIES
from autan.models.context import DEFAULT_CONTEXT, MIN_CONTEXT
from autan.protocols import TOOL_PROTOCOLS

if TYPE_CHECKING:
    from autan.agent import Agent
    from autan.cli.settings import Settings
    from autan.events import Event
    from autan.result import RunResult
    from autan.store import Store

Parser = TypeVar("Parser", bound=argparse.ArgumentParser)


def add_run_command(commands: argparse._SubParsersAction[Parser]) -> None:
    run = commands.add_parser(
        "run",
        help="run an agent on a task and print its answer",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_task_arguments(run)
    add_agent_arguments(run)
    run.add_argument(
        "--json",
        action="store_true",
        help="write the run as JSON lines on stdout: its id, every event, a summary line",
    )
    run.add_argument("--quiet", action="store_true", help="print only the answer")
    add_otel_argument(run)
    add_cascade_argument(run)
    add_agent_file_argument(run)
    run.add_argument(
        "-c",
        "--continue",
        dest="continue_last",
        action="store_true",
        help="follow up on the last answered run of the journal (its model, tools and flags); "
        "the model reads that conversation first",
    )
    add_send_key_argument(run)


def add_agent_arguments(run: argparse.ArgumentParser) -> None:
    """The flags that make the agent: ``autan run``'s and ``autan chat``'s."""
    run.add_argument(
        "--model", default=None, help="model spec (default: autan.toml, AUTAN_MODEL, or local)"
    )
    run.add_argument(
        "--tool-protocol",
        choices=TOOL_PROTOCOLS,
        default=None,
        help="how a server model calls tools: its own tool calling (native), JSON constrained "
        "by response_format (constrained), or tagged text such as <tool_call> (text)",
    )
    run.add_argument("--decode", default=None, metavar="LIST", help=DECODE_HELP)
    run.add_argument(
        "--actions",
        choices=ACTIONS,
        default="tools",
        help="how the model acts: one tool call per step (tools), or Python that calls the "
        "tools, run in the sandbox (code; needs bubblewrap or Landlock)",
    )
    _trust_argument(run)
    run.add_argument(
        "--context",
        type=at_least(int, MIN_CONTEXT),
        default=None,
        metavar="N",
        help="the embedded model's context size in tokens, prompt and reply (default: "
        f"autan.toml, AUTAN_CONTEXT, or {DEFAULT_CONTEXT}; a server sets its own)",
    )
    run.add_argument(
        "--show-reasoning", action="store_true", help="print a reasoning model's thinking on stderr"
    )
    _limit_arguments(run)
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
    add_mcp_arguments(run)
    _fetch_arguments(run)
    run.add_argument(
        "--output-schema",
        metavar="FILE",
        default=None,
        help="a JSON Schema file: the answer must match it (forced on the embedded model, "
        "validated everywhere) and is printed as JSON",
    )


def _trust_argument(run: argparse.ArgumentParser) -> None:
    run.add_argument(
        "--trust",
        choices=TRUST_POLICIES,
        default=None,
        help="after untrusted text (a file read, an MCP result), a call with side effects waits "
        "for approval (default; autan.toml: trust), is refused (strict), runs only if the task "
        "names the tool and no argument came from untrusted text alone (scoped) or runs (off)",
    )
    run.add_argument(
        "--trust-tool",
        type=tool_decision,
        action="append",
        default=None,
        metavar="TOOL=DECISION",
        help="after untrusted text, TOOL is allowed, asked about or refused whatever the policy "
        "says (repeatable; autan.toml: [trust.tools])",
    )


def _fetch_arguments(run: argparse.ArgumentParser) -> None:
    run.add_argument(
        "--fetch",
        action="store_true",
        help="give the model a fetch tool for web pages: network access (autan.toml: fetch); "
        "what it reads is untrusted",
    )
    run.add_argument(
        "--fetch-private",
        action="store_true",
        help="let fetch reach loopback, private and link-local addresses too (autan.toml: "
        "fetch_private)",
    )


def _limit_arguments(run: argparse.ArgumentParser) -> None:
    run.add_argument(
        "--max-steps",
        type=limit(int, "max_steps"),
        default=None,
        metavar="N",
        help="stop after N steps, one model call each (default: autan.toml, AUTAN_MAX_STEPS, "
        "or 10)",
    )
    run.add_argument(
        "--max-tokens",
        type=limit(int, "max_total_tokens"),
        default=None,
        metavar="N",
        help="stop after this many prompt + completion tokens (default: no limit)",
    )
    run.add_argument(
        "--max-seconds",
        type=limit(float, "max_wall_seconds"),
        default=None,
        metavar="S",
        help="stop after S seconds of wall-clock time (default: no limit)",
    )


def run_run(args: argparse.Namespace) -> int:
    from autan.cli.recipe import Recipe
    from autan.cli.settings import load_settings

    task = read_task(args)
    apply_otel(args)
    settings = load_settings()
    store = None if args.no_store else _open_store(args.store)
    try:
        if args.agent is not None:
            return _from_file(args, task, settings, store)
        if args.cascade is not None:
            return _cascade(args, task, settings, store)
        after: RunResult[Any] | None = None
        if args.continue_last:
            agent, after = _continued(store, settings, args.send_key_to_recipe_server)
        else:
            agent = Recipe.from_flags(args, settings).build(store, settings)
        with agent:
            result = _stream_run(agent, task, args, after)
    finally:
        if store is not None:
            store.close()
    return _ended(agent, result, args, settings)


def _ended(agent: Agent, result: RunResult, args: argparse.Namespace, settings: Settings) -> int:
    """Print the answer and the summary line; the exit status."""
    from autan.events import ApprovalRequested, ElicitationRequested
    from autan.pricing import price_for

    if args.json:
        write_summary(result)
    elif result.output is not None:
        print(_answer_text(agent, result.output), flush=True)
    if not args.quiet:
        priced = price_for(agent.model.name, settings.prices) is not None
        print(summary_line(result, priced), file=sys.stderr)
    if result.events and isinstance(result.events[-1], ApprovalRequested | ElicitationRequested):
        return paused(str(result.run_id), result.events, args.store)
    return EXIT_OK if result.output is not None else EXIT_FAILED


def _from_file(args: argparse.Namespace, task: str, settings: Settings, store: Store | None) -> int:
    """``--agent FILE``: its entry agent run as any agent is, or its cascade."""
    from autan.agent.cascade import Cascade
    from autan.cli.agent_file import run_file_cascade, team_for_run

    team = team_for_run(args, settings, store)
    try:
        if isinstance(team.entry, Cascade):
            return run_file_cascade(args, task, team.entry)
        result = _stream_run(team.entry, task, args)
    finally:
        team.close()
    return _ended(team.entry, result, args, settings)


def _cascade(args: argparse.Namespace, task: str, settings: Settings, store: Store | None) -> int:
    from autan.cli.cascade import run_cascade
    from autan.cli.recipe import Recipe

    if args.continue_last:
        raise ConfigurationError("--cascade starts a new task: drop -c")
    return run_cascade(args, task, Recipe.from_flags(args, settings), settings, store)


def _continued(
    store: Store | None, settings: Settings, send_key_anyway: bool
) -> tuple[Agent, RunResult[Any]]:
    from autan.cli.turns import continued, last_answered

    if store is None:
        raise ConfigurationError("-c continues a journaled conversation: drop --no-store")
    return continued(store, last_answered(store), settings, send_key_anyway)


def _answer_text(agent: Agent, answer: str) -> str:
    """The answer as printed: JSON for a typed one (``--output-schema``), else its text."""
    import json

    if agent.answer is None:
        return answer
    return json.dumps(agent.answer.parse(answer), ensure_ascii=False)


def open_store_of(args: argparse.Namespace) -> Store | None:
    """The journal the flags name; ``None`` for ``--no-store``."""
    return None if args.no_store else _open_store(args.store)


def _open_store(location: str | None) -> Store:
    from autan.store import open_store

    return open_store(location)


def _stream_run(
    agent: Agent, task: str, args: argparse.Namespace, after: RunResult[Any] | None = None
) -> RunResult:
    """Run, showing each event as it happens; the result is folded from the same events."""
    from autan.events import ChildEvent, FinalAnswer, ModelRequested, TextDelta
    from autan.ids import new_run_id
    from autan.result import RunResult

    started = time.perf_counter()
    events: list[Event] = []
    on_terminal = sys.stderr.isatty() and not (args.quiet or args.json)
    text, waiting = LiveText(sys.stderr, on_terminal), Waiting(sys.stderr, on_terminal)
    run_id = new_run_id()
    stream = agent.stream(task, run_id=run_id, after=after)
    try:
        for event in stream:
            waiting.stop()
            if isinstance(event, TextDelta):
                text.write(event.text)
                if args.json:
                    write_event(event)
                continue
            text.end()
            _show(event, agent, args, run_id)
            if isinstance(event, ChildEvent):  # a child's: its journal has it, the result not
                event = event.innermost
            else:
                events.append(event)
            if isinstance(event, ModelRequested):  # a child's prompt is evaluated in silence too
                waiting.start(event.step)
    finally:
        waiting.stop()
        stream.close()  # on Ctrl-C too: the run gives its lease back before the store closes
    text.end()
    answer = next((e.output for e in events if isinstance(e, FinalAnswer)), None)
    return RunResult(answer, tuple(events), time.perf_counter() - started, run_id)


def _show(event: Event, agent: Agent, args: argparse.Namespace, run_id: str) -> None:
    """One event: as a JSON line (``--json``), else as a line on stderr (unless ``--quiet``)."""
    from autan.events import RunFailed, RunStarted

    if isinstance(event, RunStarted):
        if agent.store is not None and not args.quiet:
            print(f"run {run_id}", file=sys.stderr, flush=True)
        if args.json:
            write_run(run_id, agent.store is not None)
    if args.json:
        write_event(event)
    elif not args.quiet:
        show_live(event, sys.stderr, args.show_reasoning)
    if isinstance(event, RunFailed):
        error(event.message)
