"""``autan runs show ID``: a run's timeline; ``--follow`` watches it grow from another terminal
until the run ends (Ctrl-C stops watching, not the run)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from autan.cli.display import (
    EXIT_OK,
    awaited_call,
    interrupted,
    prompt_block,
    run_state,
    runs_command,
    summary_line,
    timeline_line,
)

if TYPE_CHECKING:
    from autan.events import Event
    from autan.store import RunInfo, Store

POLL_SECONDS = 0.2
"""How often ``--follow`` reads the journal for new events."""


def show(
    store: Store,
    run_id: str,
    location: str | None,
    follow: bool = False,
    prompts: dict[int, str] | None = None,
) -> int:
    """``prompts``: each step's prompt, shown before the step's model line."""
    info = store.info(run_id)
    print(run_line(info), flush=True)
    if info.parent is not None:
        print(f"part of run {info.parent}: {runs_command(location)} show {info.parent}")
    _show_turns(store, run_id)
    if follow:
        return _follow(store, run_id, location)
    events = store.load(run_id)
    _print_timeline(events, prompts or {}, store)
    _print_end(store.info(run_id), events, location)
    return EXIT_OK


def run_line(info: RunInfo) -> str:
    """One line for a run: id, start time, status, events, the start of the task."""
    created = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(info.created))
    task = " ".join(str(info.config.get("task", "")).split())
    task = task if len(task) <= 60 else task[:59] + "…"
    return f"{info.run_id}  {created}  {info.status:<10}  {info.events:>4} events  {task}"


def _follow(store: Store, run_id: str, location: str | None) -> int:
    """Print events as they are journaled, until the run is no longer running."""
    events: list[Event] = []
    try:
        while True:
            info = store.info(run_id)  # read first: what it counts is then all loaded below
            new = store.load(run_id, len(events))
            _print_timeline(new, None, store)
            events.extend(new)
            if info.status != "running" and len(events) >= info.events:
                _print_end(info, events, location)
                return EXIT_OK
            time.sleep(POLL_SECONDS)
    except KeyboardInterrupt:
        again = f"{runs_command(location)} show --follow {run_id}"
        return interrupted(f"stopped watching; run {run_id} goes on: {again}")


def _print_timeline(
    events: list[Event],
    prompts: dict[int, str] | None = None,
    store: Store | None = None,
    indent: str = "",
) -> None:
    """``store``: where to find child runs, shown (``indent``ed) under the call they were."""
    from autan.events import ModelRequested, ToolStarted

    for event in events:
        if prompts and isinstance(event, ModelRequested) and event.step in prompts:
            print(prompt_block(event.step, prompts[event.step]), flush=True)
        line = timeline_line(event)
        if line:
            print("\n".join(indent + part for part in line.split("\n")), flush=True)
        if store is not None and isinstance(event, ToolStarted):
            _print_child(store, event.key, indent + CHILD_INDENT)


CHILD_INDENT = "      │ "
"""What a child run's lines start with, under the call of its parent's step."""


def _print_child(store: Store, run_id: str, indent: str) -> None:
    """The child run with id ``run_id`` (a call's key: ``Agent.as_tool``), if there is one."""
    from autan.errors import ConfigurationError

    try:
        info = store.info(run_id)
    except ConfigurationError:
        return  # an ordinary tool's call
    print(f"{indent}{info.config.get('agent', 'agent')}: {run_line(info)}", flush=True)
    _print_timeline(store.load(run_id), None, store, indent)


def _print_end(info: RunInfo, events: list[Event], location: str | None) -> None:
    from autan.cli.display import question_text
    from autan.events import ElicitationRequested, FinalAnswer, ModelResponded, ToolResulted
    from autan.result import RunResult

    answer = next((e.output for e in events if isinstance(e, FinalAnswer)), None)
    seconds = sum(e.seconds for e in events if isinstance(e, ModelResponded | ToolResulted))
    result = RunResult(answer, tuple(events), seconds, info.run_id)
    print(summary_line(result, priced=result.cost_usd > 0), flush=True)
    runs = runs_command(location)
    if info.status in ("running", "interrupted"):
        print(run_state(info, runs), flush=True)
    if info.status == "awaiting_approval" and isinstance(events[-1], ElicitationRequested):
        print(
            f"waits for an answer: {question_text(events[-1])}: {runs} answer {info.run_id} "
            "--json '{...}' (or --decline, --cancel)",
            flush=True,
        )
    elif info.status == "awaiting_approval":
        print(
            f"waits for approval of {awaited_call(events)}: {runs} approve {info.run_id} "
            f"or {runs} deny {info.run_id} --reason ...",
            flush=True,
        )


def _show_turns(store: Store, run_id: str) -> None:
    """The turns of the conversation up to this run, one line each, when it follows others."""
    from autan.cli.display import turn_line
    from autan.cli.turns import turns
    from autan.events import FinalAnswer

    chain = turns(store, run_id)
    if len(chain) == 1:
        return
    print(f"conversation: turn {len(chain)} of its conversation")
    for number, turn in enumerate(chain, 1):
        events = store.load(turn.run_id)
        answer = next((e.output for e in events if isinstance(e, FinalAnswer)), None)
        print(turn_line(number, turn.run_id, str(turn.config.get("task", "")), answer))
