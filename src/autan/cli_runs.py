"""``autan runs``: list, show, export and resume journaled runs. Thin: the store does the work."""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import TYPE_CHECKING, TypeVar

from autan.errors import ConfigurationError

if TYPE_CHECKING:
    from autan.events import CodeFinished, Event
    from autan.store import RunInfo, Store

EXIT_OK = 0

Parser = TypeVar("Parser", bound=argparse.ArgumentParser)


def add_runs_commands(commands: argparse._SubParsersAction[Parser]) -> None:
    runs = commands.add_parser("runs", help="list, show, export or resume journaled runs")
    runs.add_argument(
        "--store",
        metavar="URL|PATH",
        default=None,
        help="SQLite journal file or postgresql:// URL (default: $AUTAN_HOME/journal.sqlite3)",
    )
    actions = runs.add_subparsers(
        dest="runs_command",
        required=True,
        metavar="{list,show,export,resume,approve,deny,replay}",
    )
    listing = actions.add_parser("list", help="the most recent runs, newest first")
    listing.add_argument("--limit", type=int, default=20, metavar="N")
    for name, text in (
        ("show", "a run's timeline"),
        ("export", "a run as JSON lines"),
        ("resume", "continue a run of autan run where its journal ends"),
        ("approve", "approve the call a paused run waits for (then resume it)"),
        ("deny", "deny the call a paused run waits for (then resume it)"),
        ("replay", "re-run the recorded model responses through the current code, offline"),
    ):
        action = actions.add_parser(name, help=text)
        action.add_argument("run_id", metavar="ID", help="a run id, or a unique prefix of one")
        if name in ("approve", "deny"):
            action.add_argument("--reason", default="", help="told to the model with the decision")


def run_runs(args: argparse.Namespace) -> int:
    """Perform ``autan runs …``; bad input is one line on stderr and exit status 2."""
    from autan.store import open_store

    try:
        with open_store(args.store) as store:
            if args.runs_command == "list":
                _list(store, args.limit)
            elif args.runs_command == "show":
                _show(store, _resolve(store, args.run_id))
            elif args.runs_command == "export":
                _export(store, _resolve(store, args.run_id))
            else:
                return _continue(store, _resolve(store, args.run_id), args)
    except BrokenPipeError:  # autan runs export ID | head
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return EXIT_OK


def _resolve(store: Store, prefix: str) -> str:
    matches = [info.run_id for info in store.runs() if info.run_id.startswith(prefix)]
    if len(matches) != 1:
        found = "no run" if not matches else f"{len(matches)} runs"
        raise ConfigurationError(f"{found} with id {prefix!r}; see autan runs list")
    return matches[0]


def _list(store: Store, limit: int) -> None:
    for info in store.runs(limit):
        print(_summary(info))


def _summary(info: RunInfo) -> str:
    created = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(info.created))
    task = " ".join(str(info.config.get("task", "")).split())
    task = task if len(task) <= 60 else task[:59] + "…"
    return f"{info.run_id}  {created}  {info.status:<10}  {info.events:>4} events  {task}"


def _show(store: Store, run_id: str) -> None:
    from autan.cli import summary_line
    from autan.events import FinalAnswer
    from autan.result import RunResult

    events = store.load(run_id)
    print(_summary(store.info(run_id)))
    for event in events:
        line = _timeline_line(event)
        if line:
            print(line)
    answer = next((e.output for e in events if isinstance(e, FinalAnswer)), None)
    result = RunResult(answer, tuple(events), _seconds(events), run_id)
    print(summary_line(result, priced=result.cost_usd > 0))


def _timeline_line(event: Event) -> str | None:
    from autan.events import (
        CodeFinished,
        CodeStarted,
        FinalAnswer,
        ModelResponded,
        RunFailed,
        ToolCalled,
        ToolResulted,
    )

    if isinstance(event, CodeStarted):
        return "\n".join(f"    | {line}" for line in event.code.splitlines())
    if isinstance(event, CodeFinished):
        return code_summary(event)
    if isinstance(event, ModelResponded):
        usage = event.usage
        return (
            f"[{event.step}] model: {usage.prompt_tokens} prompt ({usage.cached_tokens} cached) / "
            f"{usage.completion_tokens} completion tokens, {event.seconds:.2f} s"
            + (f", ${event.cost_usd:.6f}" if event.cost_usd else "")
        )
    if isinstance(event, ToolCalled):
        arguments = ", ".join(f"{k}={v!r}" for k, v in event.call.arguments.items())
        return f"    {event.call.name}({arguments})"
    if isinstance(event, ToolResulted):
        mark = "✗" if event.is_error else "→"
        return f"      {mark} {_short(event.output)} ({event.seconds:.3f} s)"
    if isinstance(event, FinalAnswer):
        return f"answer: {_short(event.output)}"
    if isinstance(event, RunFailed):
        return f"failed: {event.error}: {event.message}"
    return None


def code_summary(event: CodeFinished) -> str:
    """One line for a finished code block: how it ended and the start of what it printed."""
    if event.answered:
        how = "→ final_answer"
    elif event.error is None:
        how = "→ ran"
    else:
        how = f"✗ {event.error}"
    printed = f": {_short(event.stdout, 80)}" if event.stdout.strip() else ""
    return f"    {how} ({event.seconds:.3f} s){printed}"


def _seconds(events: list[Event]) -> float:
    from autan.events import ModelResponded, ToolResulted

    return sum(e.seconds for e in events if isinstance(e, ModelResponded | ToolResulted))


def _continue(store: Store, run_id: str, args: argparse.Namespace) -> int:
    from autan.cli_continue import decide, resume
    from autan.cli_replay import replay

    if args.runs_command == "resume":
        return resume(store, run_id)
    if args.runs_command == "replay":
        return replay(store, run_id)
    return decide(store, run_id, args.runs_command == "approve", args.reason)


def _export(store: Store, run_id: str) -> None:
    from autan.store import export_lines

    for line in export_lines(store, run_id):
        print(line)


def _short(text: str, width: int = 100) -> str:
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1] + "…"
