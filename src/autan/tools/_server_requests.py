"""What a tool's server may ask the agent while a call runs (MCP sampling and elicitation), and
what the call carries for it: the run's remaining budget, the answers a person gave, and what
happened, for the loop to journal when the call returns.

The loop decides (``CallTool`` carries the run's ``Budget``, the answers and whether a person may be
asked); the driver puts a ``CallRequests`` in force while the tool runs (``serving``); the MCP
client reads it (``current_requests``) when its server asks something.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Literal

from autan.limits import Budget
from autan.messages import Usage

ReplyAction = Literal["accept", "decline", "cancel"]
REPLY_ACTIONS: tuple[ReplyAction, ...] = ("accept", "decline", "cancel")


@dataclass(frozen=True, slots=True)
class Question:
    """A server's elicitation: a message for a person and the JSON Schema of the answer."""

    server: str
    message: str
    schema: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Reply:
    """A person's answer to a ``Question``: ``content`` (valid for its schema) when accepted."""

    action: ReplyAction
    content: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Sample:
    """One sampling request a server made during a call, and what the agent's model replied
    (``refused``: why it was not answered, such as a limit of the run)."""

    server: str
    messages: tuple[str, ...]
    """The request's messages, each ``"role: text"`` (a system prompt first, as ``system``)."""
    reply: str
    usage: Usage = field(default_factory=Usage)
    cost_usd: float = 0.0
    refused: str = ""


class Allowance:
    """A call's ``Budget`` spent by its server's sampling requests, shared by the calls of one
    step's batch; thread-safe."""

    def __init__(self, budget: Budget) -> None:
        self._budget = budget
        self._lock = threading.Lock()
        self._requests = 0
        self._tokens = 0
        self._deadline = None if budget.seconds is None else time.monotonic() + budget.seconds

    def take(self) -> str | None:
        """Count one request, or the limit it would pass, as the server is told."""
        budget = self._budget
        with self._lock:
            if budget.requests is not None and self._requests >= budget.requests:
                return "limit max_steps reached"
            if budget.tokens is not None and self._tokens >= budget.tokens:
                return "limit max_total_tokens reached"
            if self._deadline is not None and time.monotonic() >= self._deadline:
                return "limit max_wall_seconds reached"
            self._requests += 1
            return None

    def tokens_left(self) -> int | None:
        with self._lock:
            return None if self._budget.tokens is None else self._budget.tokens - self._tokens

    def spend(self, usage: Usage) -> None:
        with self._lock:
            self._tokens += usage.total_tokens


@dataclass
class SampleLog:
    """A live call's journal of samples: ``write`` makes each durable as it is answered
    (before its server reads the reply); ``journaled`` holds what an attempt of the call that
    did not end (its process was killed) journaled, to answer the same requests again."""

    write: Callable[[Sample], None]
    journaled: list[Sample] = field(default_factory=list)


@dataclass
class CallRequests:
    """In force while one call runs: its answers and budget in, what its server asked out."""

    replies: tuple[tuple[Question, Reply], ...] = ()
    may_ask: bool = False
    """A person can answer (the run is journaled): an unanswered question pauses the run."""
    allowance: Allowance | None = None
    samples: list[Sample] = field(default_factory=list)
    question: Question | None = None
    """The question no answer was given for, which pauses the run (when ``may_ask``)."""
    log: SampleLog | None = None

    def journaled(self, server: str, messages: tuple[str, ...]) -> Sample | None:
        """The journaled sample of an earlier attempt that answers this request (the next one
        in order, for the same messages), taken as this attempt's; ``None``: ask the model."""
        earlier = self.log.journaled if self.log is not None else []
        if earlier and (earlier[0].server, earlier[0].messages) == (server, messages):
            self.samples.append(earlier.pop(0))
            return self.samples[-1]
        return None

    def keep(self, sample: Sample) -> None:
        """A new sample: journaled now where the run has a journal."""
        if self.log is not None:
            self.log.write(sample)
        self.samples.append(sample)

    def every_sample(self) -> tuple[Sample, ...]:
        """This attempt's samples, after the earlier attempt's that it did not ask again (they
        were spent all the same)."""
        left = self.log.journaled if self.log is not None else []
        return (*left, *self.samples)

    def reply_to(self, question: Question) -> Reply | None:
        for asked, reply in self.replies:
            if asked == question:
                return reply
        return None


_CURRENT: ContextVar[CallRequests | None] = ContextVar("autan_call_requests", default=None)


def current_requests() -> CallRequests | None:
    """The ``CallRequests`` of the call now running in this context (``None`` outside one)."""
    return _CURRENT.get()


@contextmanager
def serving(requests: CallRequests) -> Iterator[CallRequests]:
    token = _CURRENT.set(requests)
    try:
        yield requests
    finally:
        _CURRENT.reset(token)


def check_reply(question: Question, reply: Reply) -> Reply:
    """``reply`` if its content is valid for the question's schema (``jsonschema``); an
    accepted reply must have content, the others none. ``ValueError`` says what is wrong."""
    if reply.action not in REPLY_ACTIONS:
        raise ValueError(f"an answer is one of {', '.join(REPLY_ACTIONS)}, not {reply.action!r}")
    if reply.action != "accept":
        return Reply(reply.action)
    if not isinstance(reply.content, dict):
        raise ValueError("an accepted answer is a JSON object")
    from jsonschema import validators

    validator = validators.validator_for(question.schema)(question.schema)
    errors = sorted(validator.iter_errors(reply.content), key=lambda e: list(e.path))
    if errors:
        where = ".".join(str(p) for p in errors[0].path) or "the answer"
        raise ValueError(f"{where}: {errors[0].message[:200]}")
    return reply
