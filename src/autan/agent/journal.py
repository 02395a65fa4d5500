"""How a driver journals a run, and how a resumed run replays its journal.

A fresh run appends every event the loop yields before the driver performs the next effect. A
resumed run starts the loop again on the same task and answers each effect from the journal
(recorded model responses and tool results, in order), checking that the events the loop yields
are the ones recorded; when the journal runs out, the run goes on live and appends again. The
loop's state is thus a fold of the journal, and no completed model or tool call runs twice.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, cast

from autan.errors import ConfigurationError, ResumeNeedsDecision, RunError
from autan.events import (
    ApprovalDecided,
    CodeFinished,
    ElicitationAnswered,
    ElicitationRequested,
    Event,
    FinalAnswer,
    ModelResponded,
    RunFailed,
    ServerSampled,
    ToolCalled,
    ToolResulted,
    ToolStarted,
    encodable,
)
from autan.ids import new_run_id
from autan.loop.effects import (
    AwaitAnswer,
    AwaitApproval,
    CallModel,
    CallTool,
    CallTools,
    CodeCall,
    CodeEnded,
    Decision,
    Effect,
    ReplyToCode,
    StartCode,
    ToolOutcome,
)
from autan.loop.history import NO_HISTORY, History
from autan.messages import ModelResponse, ToolCall
from autan.result import RunResult
from autan.tools._server_requests import Question, Reply, Sample, SampleLog

if TYPE_CHECKING:
    from autan.store import HeldLease, Store

Replayed = ModelResponse | ToolOutcome | Decision | Reply | CodeCall | CodeEnded | None
_CALL_ENDS = (ToolResulted, ElicitationRequested)
"""The events that end one attempt of a call: its result, or a question that stopped it."""

_RESPONSE_FIELDS = tuple(
    f.name for f in dataclasses.fields(ModelResponse) if f.name in ModelResponded.__match_args__
)
"""What a ``ModelResponded`` event records of a ``ModelResponse``: enough to replay it."""


class Journal:
    """A journal that keeps nothing: what a run uses when its agent has no store."""

    def record(self, event: Event) -> Event | None:
        """Keep ``event``; durable when this returns. Returns the recorded event it equals when
        it replays one (with the time it first happened), ``None`` when it is new."""
        return None

    def replay(self, effect: Effect) -> Replayed:
        """The recorded outcome of ``effect``, or ``None`` to perform it live."""
        return None

    def replay_batch(self, effect: CallTools) -> list[ToolOutcome | None]:
        """The recorded outcome of each call of ``effect``, ``None`` where it is to run live."""
        return [None] * len(effect.calls)

    def sample_log(self, effect: CallTool) -> SampleLog | None:
        """Where a live call's server's samples are journaled as each is answered."""
        return None


class Watcher(Protocol):
    """Sees each event as it is journaled (``replayed``: it was in the journal already), for a
    view that follows a run live, such as ``autan.telemetry``'s traces. Must not raise."""

    def __call__(self, event: Event, replayed: bool) -> None: ...


@dataclass(frozen=True, slots=True)
class Run:
    task: str
    run_id: str
    journal: Journal
    concurrent_tool_calls: bool = True
    watcher: Watcher | None = None
    history: History = NO_HISTORY
    """The conversation this run follows up on (``Agent.run(..., after=...)``)."""
    lease: HeldLease | None = None
    """This process's lease on the run, while it runs it (a journaled run only)."""

    def end(self) -> None:
        """Give the run's lease back: the run stopped, however it stopped."""
        if self.lease is not None:
            self.lease.release()

    trust: object = None
    """The trust rules a reopened run was journaled with, as journaled (``None``: the
    agent's)."""


def concurrent_calls(config: Mapping[str, Any]) -> bool:
    """Whether a journaled run batches a step's calls; runs journaled before batches did not."""
    return bool(config.get("concurrent_tool_calls", False))


def start_run(
    store: Store | None, task: str, config: Mapping[str, Any], run_id: str | None = None
) -> Run:
    run_id = run_id or new_run_id()
    concurrent = bool(config.get("concurrent_tool_calls", True))
    if store is None:
        return Run(task, run_id, Journal(), concurrent)
    store.create_run(run_id, encodable({"task": task, **config}))
    lease = store.claim(run_id)
    return Run(
        task, run_id, StoredJournal(store, run_id, lease=lease.token), concurrent, lease=lease
    )


def journaled(store: Store | None, run_id: str | None) -> bool:
    """Whether ``store`` holds run ``run_id``."""
    if store is None or not run_id:
        return False
    try:
        store.info(run_id)
    except ConfigurationError:
        return False
    return True


def reopen_run(store: Store, run_id: str) -> Run | RunResult:
    """The run to continue, holding its lease, or the result of a run that already answered.

    A run that another live process holds raises ``RunInProgress``; a run that already failed
    raises ``RunError``: its journal is closed. The lease is taken before the journal is read,
    so no other process can add to what this one replays.
    """
    config = store.info(run_id).config
    task = config.get("task")
    if not isinstance(task, str):
        raise ConfigurationError(f"run {run_id} has no task to resume")
    lease = store.claim(run_id)
    try:
        events = store.load(run_id)
        ended = _ended(run_id, events)
    except BaseException:
        lease.release()
        raise
    if ended is not None:
        lease.release()
        return ended
    journal = StoredJournal(store, run_id, events, lease.token)
    # A run journaled before the trust policy existed ran without one.
    trust = config.get("trust", "off")
    return Run(task, run_id, journal, concurrent_calls(config), lease=lease, trust=trust)


def _ended(run_id: str, events: Sequence[Event]) -> RunResult | None:
    """The result of a run that already answered; a run that already failed raises
    ``RunError``; ``None`` for a run that can go on."""
    last = events[-1] if events else None
    if isinstance(last, FinalAnswer):
        return RunResult(last.output, tuple(events), 0.0, run_id)
    if isinstance(last, RunFailed):
        partial = RunResult(None, tuple(events), 0.0, run_id)
        raise RunError(f"run {run_id} already ended: {last.error}: {last.message}", partial)
    return None


class StoredJournal(Journal):
    """Appends to a store, after replaying the events it was opened with.

    A server's samples are journaled as they are answered (``sample_log``), before the loop
    yields them when the call returns: a sample can lie ahead of where the loop yields it, so a
    recorded sample may be skipped over to match the event the loop yields, and is matched
    later."""

    def __init__(
        self, store: Store, run_id: str, recorded: Sequence[Event] = (), lease: str | None = None
    ) -> None:
        """``lease``: the token every append names (see ``Store.claim``)."""
        self._store = store
        self._lease = lease
        self._run_id = run_id
        self._recorded = tuple(recorded)
        self._cursor = 0
        """The first recorded event not matched yet."""
        self._matched: set[int] = set()
        self._size = len(self._recorded)
        self._early: list[Event] = []
        """Samples journaled as they were answered, not yet yielded by the loop."""
        self._taken: dict[str, tuple[Sample, ...]] = {}
        """The samples of a call whose attempt did not end, by call id, to answer again."""
        self._lock = threading.Lock()  # a batch's servers write samples from their threads
        self._last_was_replayed = False

    def record(self, event: Event) -> Event | None:
        with self._lock:
            if self._replaying():
                recorded = self._match(event)
                if recorded is not None:
                    self._last_was_replayed = True
                    return recorded
            self._last_was_replayed = False
            if event in self._early:
                self._early.remove(event)
                return None
            if self._replaying():
                raise self._mismatch(
                    f"the agent produced {event!r}, the journal has "
                    f"{self._recorded[self._cursor]!r}"
                )
            self._append(event)
            return None

    def replay(self, effect: Effect) -> Replayed:
        if self._replaying():
            outcome = self._outcome(effect, self._recorded[self._cursor])
            if outcome is None:  # its samples were journaled, its end was not
                self._may_run_again(cast(CallTool, effect))
            return outcome
        if isinstance(effect, CallTool) and self._last_was_replayed:
            self._may_run_again(effect)
        return None

    def replay_batch(self, effect: CallTools) -> list[ToolOutcome | None]:
        recorded = self._results_ahead()
        outcomes: list[ToolOutcome | None] = []
        for call in effect.calls:
            result = recorded.get(call.call_id)
            if result is not None:
                outcomes.append(result)
                continue
            if self._last_was_replayed:
                self._may_run_again(call)
            outcomes.append(None)
        return outcomes

    def sample_log(self, effect: CallTool) -> SampleLog | None:
        taken = list(self._taken.pop(effect.call_id, ()))

        def write(sample: Sample) -> None:
            event = ServerSampled(
                effect.step,
                effect.call_id,
                sample.server,
                sample.messages,
                sample.reply,
                sample.usage,
                sample.cost_usd,
                sample.refused,
            )
            with self._lock:
                self._append(event)
                self._early.append(event)

        return SampleLog(write, taken)

    def _replaying(self) -> bool:
        return self._cursor < len(self._recorded)

    def _append(self, event: Event) -> None:
        self._store.append(self._run_id, self._size, event, self._lease)
        self._size += 1

    def _match(self, event: Event) -> Event | None:
        """The recorded event equal to ``event``: the next one, or a later one where only
        samples lie between (journaled before the loop yields them)."""
        for index in range(self._cursor, len(self._recorded)):
            if index in self._matched:
                continue
            recorded = self._recorded[index]
            if recorded == event:
                self._matched.add(index)
                while self._cursor in self._matched:
                    self._cursor += 1
                return recorded
            if not isinstance(recorded, ServerSampled):
                return None
        return None

    def _results_ahead(self) -> dict[str, ToolOutcome]:
        """The outcome of each call's first attempt journaled from the cursor on (after the
        batch: its samples and result, or the question that stopped it), by call id; the
        samples of a call without an end are kept to answer again (``sample_log``)."""
        results: dict[str, ToolOutcome] = {}
        samples: dict[str, list[ServerSampled]] = {}
        for event in self._recorded[self._cursor :]:
            if isinstance(event, ServerSampled):
                samples.setdefault(event.call_id, []).append(event)
            elif isinstance(event, _CALL_ENDS):
                if event.call_id not in results:
                    results[event.call_id] = _attempt(samples.pop(event.call_id, []), event)
            elif not isinstance(event, ElicitationAnswered | ToolStarted):
                break
        for call_id, taken in samples.items():
            self._taken[call_id] = _taken(taken)
        return results

    def _call_ahead(self, effect: CallTool) -> ToolOutcome | None:
        """One attempt of a call, as journaled from the cursor on: samples, then its end;
        ``None`` where the journal ends after its samples (kept to answer again)."""
        samples: list[ServerSampled] = []
        for event in self._recorded[self._cursor :]:
            if isinstance(event, ServerSampled) and event.call_id == effect.call_id:
                samples.append(event)
            elif isinstance(event, _CALL_ENDS):
                return _attempt(samples, event)
            else:
                raise self._mismatch(f"the agent made {_wanted(effect)}, the journal has no result")
        self._taken[effect.call_id] = _taken(samples)
        return None

    def _outcome(self, effect: Effect, recorded: Event) -> Replayed:
        if isinstance(effect, CallModel) and isinstance(recorded, ModelResponded):
            return ModelResponse(**{name: getattr(recorded, name) for name in _RESPONSE_FIELDS})
        if isinstance(effect, CallTool) and isinstance(recorded, (ServerSampled, *_CALL_ENDS)):
            return self._call_ahead(effect)
        if isinstance(effect, AwaitApproval) and isinstance(recorded, ApprovalDecided):
            return Decision(recorded.approved, recorded.reason)
        if isinstance(effect, AwaitAnswer) and isinstance(recorded, ElicitationAnswered):
            return Reply(cast(Any, recorded.action), recorded.content)
        if isinstance(effect, StartCode | ReplyToCode):
            return self._code_message(effect, recorded)
        raise self._mismatch(f"the agent made {_wanted(effect)}, the journal has {recorded.kind}")

    def _code_message(self, effect: StartCode | ReplyToCode, recorded: Event) -> Replayed:
        """What a code block sent next, read from the events it led to."""
        if isinstance(recorded, ToolCalled):
            return CodeCall(recorded.call.name, recorded.call.arguments)
        if isinstance(recorded, CodeFinished):
            return CodeEnded(
                recorded.stdout,
                recorded.stderr,
                recorded.error,
                recorded.answered,
                recorded.answer,
                recorded.seconds,
            )
        raise self._mismatch(f"the agent made {_wanted(effect)}, the journal has {recorded.kind}")

    def _may_run_again(self, effect: CallTool) -> None:
        """The journal ends after this call started, so its effect may or may not have happened:
        raise ``ResumeNeedsDecision`` unless its tool is idempotent."""
        if effect.tool.idempotent:
            return
        call = self._started_call(effect.key)
        partial = RunResult(None, self._recorded, 0.0, self._run_id)
        raise ResumeNeedsDecision(
            f"run {self._run_id}: {call.name} started but its result was not journaled, and "
            f"{call.name} is not idempotent; running it again might repeat its effect",
            partial,
            call,
            effect.key,
        )

    def _started_call(self, key: str) -> ToolCall:
        started = [e for e in self._recorded if isinstance(e, ToolStarted) and e.key == key]
        for event in reversed(self._recorded):
            if started and isinstance(event, ToolCalled) and event.call.id == started[-1].call_id:
                return event.call
        raise self._mismatch("a started tool call has no recorded call")

    def _mismatch(self, detail: str) -> ConfigurationError:
        return ConfigurationError(
            f"run {self._run_id} does not replay on this agent at event {self._cursor}: {detail}"
        )


def _taken(samples: Sequence[ServerSampled]) -> tuple[Sample, ...]:
    return tuple(
        Sample(s.server, s.messages, s.reply, s.usage, s.cost_usd, s.refused) for s in samples
    )


def _attempt(
    samples: Sequence[ServerSampled], end: ToolResulted | ElicitationRequested
) -> ToolOutcome:
    taken = _taken(samples)
    if isinstance(end, ToolResulted):
        return ToolOutcome(end.output, end.is_error, end.seconds, end.child, taken)
    return ToolOutcome("", False, 0.0, None, taken, Question(end.server, end.message, end.schema))


def _wanted(effect: Effect) -> str:
    if isinstance(effect, CallModel):
        return "a model call"
    if isinstance(effect, CallTool):
        return f"a {effect.tool.name} call"
    if isinstance(effect, StartCode | ReplyToCode):
        return "a step of a code block"
    if isinstance(effect, CallTools):
        return f"{len(effect.calls)} tool calls"
    if isinstance(effect, AwaitAnswer):
        return f"a question of {effect.call.name}'s server"
    return f"a request for approval of {effect.call.name}"
