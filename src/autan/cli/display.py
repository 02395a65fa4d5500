"""What a person sees of the command line: exit codes, error and status lines, events as they
happen, a stored run's timeline, and the summary line. Commands print their answers and
reports themselves; every line that says how a command went is made here."""

from __future__ import annotations

import json
import shlex
import sys
import threading
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from autan.agent.cascade_result import CascadeResult
    from autan.events import (
        ChildEvent,
        ChildRun,
        CodeFinished,
        ElicitationRequested,
        Event,
        TierEnded,
    )
    from autan.messages import ToolCall, ToolSpec, Usage
    from autan.result import RunResult
    from autan.store import RunInfo

EXIT_OK = 0
"""Answered, or the command did what it was asked."""
EXIT_FAILED = 1
"""The run failed or hit a limit; a replay that went differently."""
EXIT_USAGE = 2
"""Bad input: a one-line message, nothing ran."""
EXIT_PAUSED = 3
"""The run waits for a person: an approval, or an answer to a tool server's question."""
EXIT_INTERRUPTED = 130
"""Ctrl-C."""

EXIT_CODES = f"""exit status:
  {EXIT_OK}    answered, or the command did what it was asked
  {EXIT_FAILED}    the run failed or hit a limit; a replay differed; sandboxed code failed
  {EXIT_USAGE}    bad input: a one-line message, nothing ran
  {EXIT_PAUSED}    the run waits for a person (autan runs approve|deny|answer ID)
  {EXIT_INTERRUPTED}  interrupted (Ctrl-C)"""
"""The exit statuses, for the ``--help`` of ``autan`` and ``autan run``."""

DIM, RESET = "\033[2m", "\033[0m"


def error(message: object) -> None:
    print(f"autan: error: {message}", file=sys.stderr)


def show_warnings_as_lines() -> None:
    """A library warning (Landlock without root, say) is one ``autan: warning:`` line."""
    import warnings

    def show(
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: TextIO | None = None,
        line: str | None = None,
    ) -> None:
        print(f"autan: warning: {message}", file=sys.stderr)

    warnings.showwarning = show


def interrupted(hint: str = "") -> int:
    """Say that Ctrl-C stopped the command; the exit status of an interruption."""
    print(f"autan: interrupted{f' ({hint})' if hint else ''}", file=sys.stderr)
    return EXIT_INTERRUPTED


def runs_command(store: str | None) -> str:
    """``autan runs`` with the ``--store`` the command was given: the start of a hint to copy."""
    return "autan runs" + (f" --store {shlex.quote(store)}" if store else "")


def paused(
    run_id: str, events: Sequence[Event], store: str | None = None, resume: str | None = None
) -> int:
    """Say what a paused run waits for (an approval, or an answer to a server's question) and
    how to continue it; the exit status of a pause. ``resume``: the run to resume then, where
    it is not the paused one (a cascade's)."""
    from autan.events import ElicitationRequested

    runs = runs_command(store)
    last = events[-1] if events else None
    if isinstance(last, ElicitationRequested):
        how = f"{runs} answer {run_id} --json '{{...}}' (or --decline, --cancel)"
        waits = f"waits for an answer: {question_text(last)}: {how}"
    else:
        how = f"{runs} approve {run_id} (or deny {run_id} --reason ...)"
        waits = f"waits for approval of {awaited_call(events)}: {how}"
    print(f"autan: run {run_id} {waits}, then {runs} resume {resume or run_id}", file=sys.stderr)
    return EXIT_PAUSED


def question_text(event: ElicitationRequested) -> str:
    """A server's question and the fields of the answer it wants, in one line."""
    fields = event.schema.get("properties")
    names = ", ".join(
        f"{name}: {spec.get('type', 'any') if isinstance(spec, dict) else 'any'}"
        for name, spec in (fields.items() if isinstance(fields, dict) else ())
    )
    return f"MCP server {event.server!r} asks {short(event.message)!r} ({names or 'no fields'})"


def server_request_line(event: Event) -> str | None:
    """A sampling request or a question of a tool's server, as ``autan runs show`` lists it."""
    from autan.events import ElicitationAnswered, ElicitationRequested, ServerSampled

    if isinstance(event, ServerSampled):
        usage = event.usage
        tokens = f"{usage.prompt_tokens} prompt / {usage.completion_tokens} completion tokens"
        said = f"✗ refused: {event.refused}" if event.refused else f"→ {short(event.reply)}"
        return f"      ↳ {event.server} sampled the model ({tokens}) {said}"
    if isinstance(event, ElicitationRequested):
        return f"      ? {question_text(event)}"
    if isinstance(event, ElicitationAnswered):
        content = json.dumps(event.content, ensure_ascii=False) if event.content else ""
        return f"      ✓ answered {event.action}" + (f": {short(content)}" if content else "")
    return None


def run_state(info: RunInfo, runs: str) -> str:
    """What a run that has not ended is doing: who runs it, or how to continue it."""
    if info.status == "running" and info.lease is not None:
        return f"running: {info.lease.describe()}"
    return f"interrupted: its process stopped before the run ended; {runs} resume {info.run_id}"


def awaited_call(events: Sequence[Event]) -> str:
    """The call a paused run waits for (its journal ends in ``ApprovalRequested``), as text:
    the name from the request, the arguments from the ``ToolCalled`` of the same call."""
    from autan.events import ApprovalRequested, ToolCalled

    request = events[-1] if events else None
    if not isinstance(request, ApprovalRequested):
        return "no call"
    for event in reversed(events):
        if isinstance(event, ToolCalled) and event.call.id == request.call_id:
            note = trust_note(request.reason, request.copied)
            return call_text(event.call) + (f" [{note}]" if note else "")
    return f"a {request.name} call"


class LiveText:
    """The model's text as it streams, dimmed (on a terminal only: ``shown``); ``end`` finishes
    its line, so that the next line printed starts on a line of its own."""

    def __init__(self, stream: TextIO, shown: bool) -> None:
        self.stream = stream
        self.shown = shown
        self._open = False

    def write(self, text: str) -> None:
        if self.shown and text:
            print(f"{DIM}{text}{RESET}", end="", file=self.stream, flush=True)
            self._open = not text.endswith("\n")

    def end(self) -> None:
        if self._open:
            print(file=self.stream, flush=True)
            self._open = False


class Waiting:
    """While a model evaluates its prompt (a long task on the embedded model is silent for many
    seconds), a line on a terminal that says so, with the seconds so far; it is erased at the
    first text or event. Nothing on a pipe (``shown`` false)."""

    FRAMES = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
    AFTER_SECONDS = 0.5
    """Shown only for a wait longer than this: a quick step does not flicker."""

    def __init__(self, stream: TextIO, shown: bool) -> None:
        self.stream = stream
        self.shown = shown
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, step: int) -> None:
        if not self.shown or self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._spin, args=(step,), daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join()
        self._thread = None

    def _spin(self, step: int) -> None:
        started = time.monotonic()
        if self._stop.wait(self.AFTER_SECONDS):
            return
        frame = 0
        while not self._stop.is_set():
            seconds = time.monotonic() - started
            spinner = self.FRAMES[frame % len(self.FRAMES)]
            line = f"[{step}] evaluating the prompt {spinner} {seconds:.0f} s"
            print(f"\r{DIM}{line}{RESET}\033[K", end="", file=self.stream, flush=True)
            frame += 1
            self._stop.wait(0.25)
        print("\r\033[K", end="", file=self.stream, flush=True)


def show_live(event: Event, stream: TextIO, show_reasoning: bool) -> None:
    """One event of a run that is happening, as ``autan run`` shows it on stderr; a child
    run's (``ChildEvent``) indented under the call that runs it, each line naming the child."""
    for line in live_lines(event, show_reasoning):
        print(line, file=stream, flush=True)


def live_lines(event: Event, show_reasoning: bool) -> list[str]:
    from autan.events import (
        ChildEvent,
        CodeFinished,
        CodeStarted,
        ModelResponded,
        ToolCalled,
        ToolResulted,
    )

    if isinstance(event, ChildEvent):
        return child_lines(event, show_reasoning)
    if isinstance(event, ModelResponded) and show_reasoning and event.reasoning:
        return [f"{DIM}{event.reasoning}{RESET}"]
    if isinstance(event, CodeStarted):
        return [f"[{event.step}] | {line}" for line in event.code.splitlines()]
    if isinstance(event, CodeFinished):
        return [code_summary(event)]
    if isinstance(event, ToolCalled):
        return [f"[{event.step}] {call_text(event.call)}"]
    if isinstance(event, ToolResulted):
        mark = "✗" if event.is_error else "→"
        return [f"    {mark} {short(event.output)}"]
    return []


def child_lines(event: ChildEvent, show_reasoning: bool) -> list[str]:
    """A child run's event: its start (with its run id), its calls and results, its tiers
    (a cascade's); not its text, answer or failure (its parent's call result shows those)."""
    from autan.events import ChildEvent, RunStarted, TierEnded, TierStarted

    mark, depth = event, 1
    while isinstance(mark.event, ChildEvent):
        mark, depth = mark.event, depth + 1
    inner = mark.event
    if isinstance(inner, RunStarted):
        lines = [f"run {mark.run_id}: {inner.model}"]
    elif isinstance(inner, TierStarted):
        lines = [f"tier {inner.tier}: {inner.model} (run {inner.run_id})"]
    elif isinstance(inner, TierEnded):
        lines = [tier_line(inner)]
    else:
        lines = live_lines(inner, show_reasoning)
    indent = "    " * depth
    return [f"{indent}↳ {mark.agent} {line}" for line in lines]


def timeline_line(event: Event) -> str | None:
    """One event of a stored run, as ``autan runs show`` lists it; ``None`` to leave it out."""
    asked = server_request_line(event)
    if asked is not None:
        return asked
    from autan.events import (
        ApprovalDecided,
        ApprovalRequested,
        CodeFinished,
        CodeStarted,
        FinalAnswer,
        HandedOff,
        ModelResponded,
        PolicyApplied,
        RunFailed,
        TierEnded,
        TierStarted,
        ToolCalled,
        ToolResulted,
    )

    if isinstance(event, TierStarted):
        return f"tier {event.tier}: {event.model} (run {event.run_id})"
    if isinstance(event, TierEnded):
        return tier_line(event)
    if isinstance(event, CodeStarted):
        return "\n".join(f"    | {line}" for line in event.code.splitlines())
    if isinstance(event, CodeFinished):
        return code_summary(event)
    if isinstance(event, ModelResponded):
        usage = event.usage
        return (
            f"[{event.step}] model: {usage.prompt_tokens} prompt ({usage.cached_tokens} cached) / "
            f"{usage.completion_tokens} completion tokens{_estimated(usage)}, {event.seconds:.2f} s"
            + (f", ${event.cost_usd:.6f}" if event.cost_usd else "")
        )
    if isinstance(event, ToolCalled):
        return f"    {call_text(event.call)}"
    if isinstance(event, ToolResulted):
        mark = "✗" if event.is_error else "→"
        line = f"      {mark} {short(event.output)} ({event.seconds:.3f} s)"
        return line + (f" · {child_note(event.child)}" if event.child else "")
    if isinstance(event, HandedOff):
        return f"    ⇢ {event.from_agent} hands the conversation to {event.to_agent}"
    if isinstance(event, ApprovalRequested):
        note = trust_note(event.reason, event.copied)
        return "      ? waits for approval" + (f": {note}" if note else "")
    if isinstance(event, PolicyApplied) and event.action == "refuse":
        return "      ✗ refused by the trust policy: " + trust_note(event.reason, event.copied)
    if isinstance(event, ApprovalDecided):
        decided = "✓ approved" if event.approved else "✗ denied"
        return f"      {decided}" + (f": {short(event.reason)}" if event.reason else "")
    if isinstance(event, FinalAnswer):
        return f"answer: {short(event.output)}"
    if isinstance(event, RunFailed):
        return f"failed: {event.error}: {event.message}"
    return None


def child_note(child: ChildRun) -> str:
    """A child run (``Agent.as_tool``) in one line: its run, its agent, what it spent."""
    usage = child.usage
    cost = f", ${child.cost_usd:.6f}" if child.cost_usd else ""
    ended = "" if child.answered else ", no answer"
    return (
        f"child run {child.run_id} ({child.agent}: {child.model_calls} model calls, "
        f"{usage.total_tokens} tokens{cost}{ended})"
    )


def turn_line(number: int, run_id: str, task: str, answer: str | None) -> str:
    """One turn of a conversation: its run, what was asked, what was answered."""
    said = short(answer, 60) if answer is not None else "(no answer)"
    return f"  turn {number}  {run_id}  {short(task, 50)} → {said}"


def prompt_block(step: int, prompt: str) -> str:
    """A step's prompt, exactly, between two marker lines."""
    return f"[{step}] prompt ({len(prompt)} characters):\n{prompt}\n[{step}] end of prompt"


def code_summary(event: CodeFinished) -> str:
    """One line for a finished code block: how it ended (a failure with the last line of its
    stderr: the exception) and the start of what it printed."""
    if event.answered:
        how = "→ final_answer"
    elif event.error is None:
        how = "→ ran"
    else:
        raised = _last_line(event.stderr)
        how = f"✗ {event.error}" + (f": {short(raised)}" if raised else "")
    printed = f": {short(event.stdout, 80)}" if event.stdout.strip() else ""
    return f"    {how} ({event.seconds:.3f} s){printed}"


def summary_line(result: RunResult, priced: bool = False) -> str:
    """The run's totals (tokens and cost include its child runs'), and which agent answered
    when a handoff changed it."""
    usage = result.usage
    reasoning = f" ({usage.reasoning_tokens} reasoning)" if usage.reasoning_tokens else ""
    cost = f" · ${result.cost_usd:.6f}" if priced else ""
    return (
        f"steps {result.steps} · model calls {result.model_calls} · tool calls {result.tool_calls}"
        f"{_children(result)}"
        f" · tokens {usage.prompt_tokens} prompt ({usage.cached_tokens} cached)"
        f" / {usage.completion_tokens} completion{reasoning}{_estimated(usage)}"
        f" · {result.seconds:.2f} s{cost}{_answered_by(result)}"
    )


def _children(result: RunResult) -> str:
    children = result.child_runs
    if not children:
        return ""
    calls = sum(child.model_calls for child in children)
    return f" · child runs {len(children)} ({calls} model calls)"


def _answered_by(result: RunResult) -> str:
    from autan.events import HandedOff

    if not any(isinstance(event, HandedOff) for event in result.events):
        return ""
    return f" · {'answered' if result.output is not None else 'last'} by {result.agent}"


def tier_line(tier: TierEnded) -> str:
    """How a cascade's tier ended, as ``autan run --cascade`` shows it."""
    why = f": {tier.reason}: {short(tier.detail, 80)}" if tier.reason else ""
    cost = f" · ${tier.cost_usd:.6f}" if tier.cost_usd else ""
    return (
        f"tier {tier.tier} {tier.outcome}{why} · model calls {tier.model_calls}"
        f" · tokens {tier.usage.prompt_tokens} prompt / {tier.usage.completion_tokens} completion"
        f"{_estimated(tier.usage)} · {tier.seconds:.2f} s{cost}"
    )


def cascade_line(result: CascadeResult[Any]) -> str:
    """A cascade's totals, every tier's included."""
    answered = result.answered_by
    by = f"answered by tier {answered.tier} ({answered.model})" if answered else "no answer"
    usage = result.usage
    cost = f" · ${result.cost_usd:.6f}" if result.cost_usd else ""
    return (
        f"cascade {result.run_id} · {by} · escalations {result.escalations}"
        f" · tokens {usage.prompt_tokens} prompt / {usage.completion_tokens} completion"
        f"{_estimated(usage)} · {result.seconds:.2f} s{cost}"
    )


def _estimated(usage: Usage) -> str:
    return " (estimated)" if usage.estimated else ""


def _last_line(text: str) -> str:
    """The last line that says something: a traceback's exception."""
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def short(text: str, width: int = 100) -> str:
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1] + "…"


def call_text(call: ToolCall) -> str:
    arguments = ", ".join(f"{k}={v!r}" for k, v in call.arguments.items())
    return f"{call.name}({arguments})"


def new_token(path: object) -> None:
    """Say that ``autan serve`` made a bearer token, once: the page URL that follows has it."""
    print(f"autan: made a bearer token, kept in {path} (mode 0600)", file=sys.stderr)


def serving(page: str, docs: str, note: str = "") -> None:
    """Say where ``autan serve`` listens, once it does."""
    extra = f"; {note}" if note else ""
    print(
        f"autan: serving on {page.split('/#')[0].rstrip('/')}: open {page} (API docs: {docs})"
        f"{extra}; Ctrl-C stops",
        file=sys.stderr,
        flush=True,
    )


def tool_line(spec: ToolSpec, flags: Sequence[str] = ()) -> str:
    """A tool as ``autan mcp tools`` lists it: its signature, one-line description, flags."""
    from autan.protocols.signature import COMPACT, signature

    line = signature(spec, COMPACT)
    return f"{line} [{', '.join(flags)}]" if flags else line


def batch_bad_line(tasks: str, bad: object) -> None:
    """A line of a batch's tasks file that is not a task (the batch ran the others)."""
    print(f"autan: error: {tasks}: {bad}", file=sys.stderr)


def batch_summary(line: str, out: str) -> None:
    """The end of ``autan batch``: what ran, and where the results are."""
    print(f"{line} · results in {out}/results.jsonl", file=sys.stderr)


def trust_note(reason: str, copied: tuple[str, ...]) -> str:
    """The trust policy's reason, and the argument text copied from untrusted results."""
    parts = [short(reason)] if reason else []
    if copied:
        parts.append("copied from untrusted text: " + ", ".join(repr(short(c)) for c in copied))
    return "; ".join(parts)
