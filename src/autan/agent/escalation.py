"""Why a cascade's tier did not answer, read from its run's journal, and which reasons move a
task up to the next tier."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from autan import errors
from autan.errors import ConfigurationError
from autan.events import AnswerRejected, Event, RunFailed

ESCALATION_REASONS = ("limit", "tool_retries", "invalid_answer", "verifier", "model_error")
"""``limit``: a ``Limits`` bound was reached; ``tool_retries``: the model's calls kept failing;
``invalid_answer``: its answers kept failing the ``output_type``; ``verifier``: the cascade's
verifier returned false; ``model_error``: the backend failed (a server down, a context window
too small)."""

DEFAULT_ESCALATE_ON = ("limit", "tool_retries", "invalid_answer", "verifier")


def check_escalate_on(reasons: Iterable[str] | str) -> tuple[str, ...]:
    """The reasons, checked; ``ConfigurationError`` names an unknown one."""
    chosen = (reasons,) if isinstance(reasons, str) else tuple(reasons)
    for reason in chosen:
        if reason not in ESCALATION_REASONS:
            raise ConfigurationError(
                f"unknown escalation reason {reason!r}; the reasons are "
                f"{', '.join(ESCALATION_REASONS)}"
            )
    return tuple(dict.fromkeys(chosen))


def failure_reason(events: Sequence[Event]) -> tuple[str, str] | None:
    """``(reason, detail)`` of a run that ended without an answer; ``None`` for one that has
    not ended (paused for an approval, or stopped before its end). A failure that is no
    escalation reason (a cancelled run, a store error) is named by its error's class."""
    last = events[-1] if events else None
    if not isinstance(last, RunFailed):
        return None
    if last.error == "LimitExceeded":
        return "limit", last.message
    if last.error == "ToolRetriesExhausted":
        rejected = len(events) > 1 and isinstance(events[-2], AnswerRejected)
        return ("invalid_answer" if rejected else "tool_retries"), last.message
    if _is_model_error(last.error):
        return "model_error", f"{last.error}: {last.message}"
    return last.error, last.message


def _is_model_error(name: str) -> bool:
    found = getattr(errors, name, None)
    return isinstance(found, type) and issubclass(found, errors.ModelError)
