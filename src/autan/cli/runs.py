"""``autan runs``: list, show and export journaled runs; resume, approve, deny, answer and replay
them.

Exit status of resume: 0 answered, 1 failed, 3 paused for an approval. Of replay: 0 when the
loop produced the recorded events, 1 when it did not (the first difference is printed).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, TypeVar

from autan.cli.args import add_send_key_argument
from autan.cli.display import (
    EXIT_FAILED,
    EXIT_OK,
    awaited_call,
    cascade_line,
    error,
    paused,
    runs_command,
    summary_line,
)
from autan.cli.otel import add_otel_argument, apply_otel
from autan.errors import ConfigurationError

if TYPE_CHECKING:
    from autan.agent import Agent
    from autan.store import Store

Parser = TypeVar("Parser", bound=argparse.ArgumentParser)

_ACTIONS = (
    ("show", "a run's timeline"),
    ("export", "a run as JSON lines"),
    ("resume", "continue a run of autan run where its journal ends"),
    ("approve", "approve the call a paused run waits for (then resume it)"),
    ("deny", "deny the call a paused run waits for (then resume it)"),
    ("answer", "answer the question a tool's server asks a paused run (then resume it)"),
    ("replay", "re-run the recorded model responses through the current code, offline"),
    ("trace", "send a run as OpenTelemetry GenAI traces (--otel URL), or write them (--out FILE)"),
)


def add_runs_commands(commands: argparse._SubParsersAction[Parser]) -> None:
    runs = commands.add_parser(
        "runs", help="list, show, export, resume, approve, deny, answer or replay journaled runs"
    )
    runs.add_argument(
        "--store",
        metavar="URL|PATH",
        default=None,
        help="SQLite journal file or postgresql:// URL (default: $AUTAN_HOME/journal.sqlite3)",
    )
    actions = runs.add_subparsers(
        dest="runs_command",
        required=True,
        metavar="{list,show,export,resume,approve,deny,answer,replay,trace}",
    )
    listing = actions.add_parser(
        "list", help="the most recent runs you started, newest first (runs show ID: its children)"
    )
    listing.add_argument(
        "--limit", type=int, default=20, metavar="N", help="at most N runs (default: %(default)s)"
    )
    listing.add_argument(
        "--all",
        action="store_true",
        help="also the runs inside others: child runs (as_tool, team members), cascade tiers, "
        "batch lease records",
    )
    for name, text in _ACTIONS:
        action = actions.add_parser(name, help=text)
        action.add_argument("run_id", metavar="ID", help="a run id, or a unique prefix of one")
        if name == "show":
            action.add_argument(
                "--follow",
                action="store_true",
                help="watch the run from another terminal until it ends (Ctrl-C stops watching)",
            )
            action.add_argument(
                "--prompts",
                action="store_true",
                help="show the exact prompt of each step, rebuilt from the journal by replay "
                "(the embedded model's text; a server's request body)",
            )
        if name in ("approve", "deny"):
            action.add_argument("--reason", default="", help="told to the model with the decision")
        if name == "answer":
            _answer_arguments(action)
        if name == "resume":
            add_send_key_argument(action)
        if name in ("resume", "trace"):
            add_otel_argument(action)
        if name == "trace":
            action.add_argument(
                "--out", metavar="FILE", default=None, help="write the spans here as OTLP JSON"
            )


def run_runs(args: argparse.Namespace) -> int:
    """Perform ``autan runs …``; bad input is one line on stderr and exit status 2."""
    from autan.store import open_store

    try:
        with open_store(args.store, must_exist=True) as store:
            if args.runs_command == "list":
                _list(store, args.limit, args.all)
                return EXIT_OK
            run_id = _resolve(store, args.run_id)
            return _on_run(store, run_id, args)
    except BrokenPipeError:  # autan runs export ID | head
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return EXIT_OK


def _on_run(store: Store, run_id: str, args: argparse.Namespace) -> int:
    command = args.runs_command
    apply_otel(args)
    if command == "show":
        from autan.cli.show import show

        if args.prompts and args.follow:
            raise ConfigurationError("--prompts shows a run as journaled; give it without --follow")
        prompts = _prompts(store, run_id) if args.prompts else None
        return show(store, run_id, args.store, args.follow, prompts)
    if command == "export":
        _export(store, run_id)
    elif command == "resume":
        return _resume(store, run_id, args.store, args.send_key_to_recipe_server)
    elif command == "replay":
        return _replay(store, run_id)
    elif command == "trace":
        _trace(store, run_id, args.out)
    elif command == "answer":
        _answer(store, run_id, args, args.store)
    else:
        _decide(store, run_id, command == "approve", args.reason, args.store)
    return EXIT_OK


def _resolve(store: Store, prefix: str) -> str:
    """The run whose id is ``prefix``, else the one run whose id starts with it. A child run's
    id starts with its parent's, so a prefix matching one run a user started names that one."""
    candidates = [info for info in store.runs() if info.run_id.startswith(prefix)]
    matches = [info.run_id for info in candidates]
    if prefix in matches:
        return prefix
    top_level = [info.run_id for info in candidates if info.top_level]
    if len(top_level) == 1:
        return top_level[0]
    if len(matches) != 1:
        found = "no run" if not matches else f"{len(matches)} runs"
        raise ConfigurationError(f"{found} with id {prefix!r}; see autan runs list")
    return matches[0]


def _list(store: Store, limit: int, everything: bool) -> None:
    from autan.cli.show import run_line
    from autan.store import SQLiteStore

    runs = store.runs(limit) if everything else store.top_level_runs(limit)
    if not runs:
        where = store.path if isinstance(store, SQLiteStore) else "the PostgreSQL journal"
        print(f"no runs in {where}")
    for info in runs:
        print(run_line(info))


def _export(store: Store, run_id: str) -> None:
    from autan.store import export_lines

    for line in export_lines(store, run_id):
        print(line)


def _trace(store: Store, run_id: str, out: str | None) -> None:
    from autan.telemetry import export_stored

    count = export_stored(run_id, store.load(run_id), store.info(run_id).created, out)
    sent_to = [os.environ.get(f"OTEL_EXPORTER_OTLP_{n}ENDPOINT", "") for n in ("TRACES_", "")]
    where = out or sent_to[0] or sent_to[1]
    print(f"{count} spans of run {run_id} {'written to' if out else 'sent to'} {where}")


def _rebuild(
    store: Store, run_id: str, recorded_model: bool = False, send_key_anyway: bool = False
) -> Agent:
    """The agent of run ``run_id``, from the recipe ``autan run`` journaled with it; with
    ``recorded_model``, one that can never call its model (for a replay)."""
    from autan.cli.recipe import Recipe
    from autan.cli.settings import load_settings
    from autan.models.recorded import RecordedModel

    config = store.info(run_id).config
    settings = load_settings()
    if recorded_model:
        recipe = Recipe.from_journal(run_id, config)
        return recipe.build(store, settings, RecordedModel(str(config.get("model", ""))))
    return Recipe.to_continue(run_id, config, settings, send_key_anyway).build(store, settings)


@contextmanager
def _rebuild_for_resume(store: Store, run_id: str, send_key_anyway: bool) -> Iterator[Agent]:
    """The run's agent: from its agent file (``autan run --agent``), else from its recipe."""
    from autan.agent import Agent
    from autan.cli.agent_file import team_to_resume
    from autan.cli.settings import load_settings

    team = team_to_resume(store.info(run_id).config, load_settings(), store)
    if team is None:
        with _rebuild(store, run_id, send_key_anyway=send_key_anyway) as agent:
            yield agent
        return
    try:
        if not isinstance(team.entry, Agent):
            raise ConfigurationError(f"run {run_id}: its agent file's entry is now a cascade")
        yield team.entry
    finally:
        team.close()


def _prompts(store: Store, run_id: str) -> dict[int, str]:
    """Each step's prompt, by step: the run's agent rebuilt from its recipe, with its real
    model (to render the prompt as it does), replays the journal without calling it."""
    return dict(_rebuild(store, run_id).prompts(run_id))


def _resume(store: Store, run_id: str, location: str | None, send_key_anyway: bool) -> int:
    """Continue the run; print its answer on stdout and its summary on stderr."""
    from autan.errors import AwaitingApproval, RunError

    if store.info(run_id).config.get("cascade") is not None:
        return _resume_cascade(store, run_id, location, send_key_anyway)
    try:
        with _rebuild_for_resume(store, run_id, send_key_anyway) as agent:
            result = agent.resume(run_id)
    except AwaitingApproval as pause:
        return paused(run_id, pause.result.events, location)
    except RunError as failure:
        error(failure)
        print(summary_line(failure.result), file=sys.stderr)
        return EXIT_FAILED
    typed = agent.answer is not None  # --output-schema: the answer as JSON, as autan run prints it
    print(json.dumps(result.output, ensure_ascii=False) if typed else result.output, flush=True)
    print(summary_line(result), file=sys.stderr)
    return EXIT_OK


def _resume_cascade(store: Store, run_id: str, location: str | None, send_key_anyway: bool) -> int:
    from autan.cli.cascade import answer_text, resume_cascade
    from autan.cli.settings import load_settings
    from autan.errors import AwaitingApproval, RunError

    try:
        result = resume_cascade(store, run_id, load_settings(), send_key_anyway)
    except AwaitingApproval as pause:
        return paused(str(pause.result.run_id), pause.result.events, location, run_id)
    except RunError as failure:
        error(failure)
        return EXIT_FAILED
    if result is None:
        raise ConfigurationError(
            f"run {run_id} is a cascade not started by autan run; continue it from Python "
            "with Cascade.resume"
        )
    print(answer_text(result), flush=True)
    print(cascade_line(result), file=sys.stderr)
    return EXIT_OK


def _replay(store: Store, run_id: str) -> int:
    with _rebuild(store, run_id, recorded_model=True) as agent:
        report = agent.replay(run_id)
    if report.same:
        print(f"same: the loop reproduced all {report.recorded} recorded events of run {run_id}")
        return EXIT_OK
    print(f"different after {report.compared} of {report.recorded} events: {report.difference}")
    return EXIT_FAILED


def _decide(store: Store, run_id: str, approved: bool, reason: str, location: str | None) -> None:
    from autan.store import decide

    events = store.load(run_id)
    decision = decide(store, run_id, approved, reason)
    verb = "approved" if decision.approved else "denied"
    print(
        f"{verb} {awaited_call(events)} (call {decision.call_id}) of run {run_id}; "
        f"next: {runs_command(location)} resume {run_id}"
    )


def _answer_arguments(action: argparse.ArgumentParser) -> None:
    given = action.add_mutually_exclusive_group(required=True)
    given.add_argument(
        "--json",
        metavar="OBJECT",
        dest="content",
        help="accept, with this JSON object as the answer (checked against the server's schema)",
    )
    given.add_argument("--decline", action="store_true", help="decline to answer")
    given.add_argument("--cancel", action="store_true", help="dismiss the question")


def _answer(store: Store, run_id: str, args: argparse.Namespace, location: str | None) -> None:
    from autan.store import answer
    from autan.tools._server_requests import ReplyAction

    content = None
    if args.content is not None:
        try:
            content = json.loads(args.content)
        except ValueError as problem:
            raise ConfigurationError(f"--json is not JSON: {problem}") from None
    action: ReplyAction = "decline" if args.decline else "cancel" if args.cancel else "accept"
    answered = answer(store, run_id, action, content)
    print(
        f"answered {answered.action} (call {answered.call_id}) of run {run_id}; "
        f"next: {runs_command(location)} resume {run_id}"
    )
