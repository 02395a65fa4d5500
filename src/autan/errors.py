"""The exceptions autan raises, one tree.

    AutanError
    ├── ConfigurationError          bad input from the user: fails before a run starts
    │   ├── ModelSpecError          an unknown or malformed model spec
    │   ├── ModelFileError          a GGUF path that is missing or not a GGUF
    │   ├── ToolDefinitionError     a function that cannot become a tool
    │   ├── WorkspaceError          a workspace directory that does not exist
    │   ├── SandboxUnavailable      no bubblewrap, no Landlock, and no opt-out of isolation
    │   ├── MCPServerError          an MCP server that cannot be started, initialized or listed
    │   ├── AgentFileError          an agent file (``autan run --agent``) that is invalid: its line
    │   └── RunInProgress           another live process holds the run (its lease is fresh)
    ├── ModelError                  the model backend failed while running
    │   ├── AuthenticationError     the server refused the API key (401/403)
    │   ├── ModelNotFoundError      the server does not serve that model (404)
    │   ├── RateLimitError          still rate limited (429) after the retries
    │   ├── ContextLengthExceeded   the request does not fit the model's context window
    │   ├── ServerError             still failing (5xx) after the retries
    │   ├── ModelConnectionError    the server could not be reached or timed out
    │   ├── ModelTimeout            a request's deadline passed before its answer was complete
    │   └── ResponseTooLarge        a server's answer (decompressed) is larger than allowed
    ├── StoreError                  the journal store failed, or holds data this version cannot read
    ├── RunCancelled                a person cancelled the run (``autan serve``); journaled as why
    ├── TelemetryError              an OTLP receiver did not take a run's spans (autan runs trace)
    └── RunError                    a run ended without an answer; ``.result`` holds the partial run
        ├── LimitExceeded           a Limits bound was reached (``.limit`` names it)
        ├── ToolRetriesExhausted    the model kept making invalid or failing calls or answers
        ├── ResumeNeedsDecision     a resumed run found a started, unfinished, non-idempotent call
        ├── AwaitingApproval        the run paused at a call that a person must approve or deny
        │   └── AwaitingAnswer      the run paused at a question a tool's server asks a person
        ├── CascadeFailed           no tier of a cascade gave an answer it accepts (``.tiers``)
        └── VerifierFailed          a cascade's verifier raised, or returned something not a bool

A tool that raises, or is called with invalid arguments, does not raise through the user: the
error goes back to the model as an observation (see ``autan.loop``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from autan.events import TierEnded
    from autan.messages import ToolCall
    from autan.result import RunResult


class AutanError(Exception):
    """Base class of every error autan raises on purpose."""


class ConfigurationError(AutanError):
    """The user's input is invalid; nothing was run."""


class ModelSpecError(ConfigurationError):
    """A model spec string that no backend accepts."""


class ModelFileError(ConfigurationError):
    """A model file that does not exist or is not in the expected format."""


class ToolDefinitionError(ConfigurationError):
    """A Python function that cannot be turned into a tool."""


class WorkspaceError(ConfigurationError):
    """A workspace directory that cannot be used."""


class SandboxUnavailable(ConfigurationError):
    """Code cannot be run in an isolated sandbox here (no bubblewrap, or it cannot run)."""


class AgentFileError(ConfigurationError):
    """An agent file (``autan.load_agent``, ``autan run --agent``) that cannot be used: the
    message names the file, the line and the key (``.path``, ``.line``, ``.key``)."""

    def __init__(self, path: str, line: int, key: str, reason: str) -> None:
        where = f"{key}: " if key else ""
        super().__init__(f"{path}:{line}: {where}{reason}")
        self.path, self.line, self.key, self.reason = path, line, key, reason


class MCPServerError(ConfigurationError):
    """An MCP server could not be started, did not initialize, or offered unusable tools.

    A server that fails later, during a call, is a tool error the model reads."""


class RunInProgress(ConfigurationError):
    """Another process is running the run (its lease has a recent heartbeat): it cannot be
    resumed or continued from here until that process stops or its lease goes stale."""


class ModelError(AutanError):
    """The model backend failed while producing a response."""


class AuthenticationError(ModelError):
    """The server refused the credentials (HTTP 401 or 403)."""


class ModelNotFoundError(ModelError):
    """The server does not know the requested model (HTTP 404)."""


class RateLimitError(ModelError):
    """The server kept answering HTTP 429 after every retry."""


class ContextLengthExceeded(ModelError):
    """The prompt plus the tokens to generate do not fit the model's context window."""


class ServerError(ModelError):
    """The server kept failing (HTTP 5xx) after every retry, or answered something unreadable."""


class ModelConnectionError(ModelError):
    """The server could not be reached, or did not answer in time, after every retry."""


class ModelTimeout(ModelError):
    """A request's deadline (the backend's own, or the time left of the run's wall-clock limit)
    passed before its answer was complete. Not retried: the deadline covers every attempt."""


class ResponseTooLarge(ModelError):
    """A server's answer, after decompression, is larger than the backend accepts
    (``max_response_bytes``, ``max_stream_bytes``). Not retried: the same request would
    likely be answered the same way, at the same cost."""


class StoreError(AutanError):
    """The journal store failed, or holds data this version of autan cannot read."""


class RunCancelled(AutanError):
    """A person cancelled the run; raised between two effects, before the next one happens."""


class TelemetryError(AutanError):
    """An OTLP receiver could not be reached, or refused a run's spans, when they were sent on
    request (``autan runs trace``). A live run's spans are sent in the background: a receiver
    that is down costs the spans, never the run."""


class RunError(AutanError):
    """A run ended without a final answer. ``result`` holds everything up to that point."""

    def __init__(self, message: str, result: RunResult) -> None:
        super().__init__(message)
        self.result = result


class LimitExceeded(RunError):
    """A bound from ``Limits`` was reached before the model answered."""

    def __init__(self, message: str, result: RunResult, limit: str) -> None:
        super().__init__(message, result)
        self.limit = limit


class ToolRetriesExhausted(RunError):
    """The model's tool calls (or its answers, checked against an ``output_type``) failed more
    times in a row than ``Limits.tool_retries`` allows."""


class ResumeNeedsDecision(RunError):
    """A resumed run stopped at a tool call that started but whose result was never journaled.

    The tool is not declared idempotent, so running it again might repeat its effect: a person
    decides. ``call`` is the call and ``key`` its idempotency key.
    """

    def __init__(self, message: str, result: RunResult, call: ToolCall, key: str) -> None:
        super().__init__(message, result)
        self.call = call
        self.key = key


class AwaitingApproval(RunError):
    """The run paused before a call of a ``needs_approval`` tool; its journal records the pause.

    Not a failure: ``approve`` or ``deny`` the call (``Agent.approve``, ``autan runs approve``),
    then resume the run. ``call`` is the pending call and ``key`` its idempotency key.
    """

    def __init__(self, message: str, result: RunResult, call: ToolCall, key: str) -> None:
        super().__init__(message, result)
        self.call = call
        self.key = key


class AwaitingAnswer(AwaitingApproval):
    """The run paused at a question the server of ``call`` asked a person (MCP elicitation).

    Not a failure: answer it (``autan.store.answer``, ``autan runs answer``), then resume the
    run, which makes the call again with the answer. ``question`` is what the server asked.
    """

    def __init__(
        self, message: str, result: RunResult, call: ToolCall, key: str, question: object
    ) -> None:
        super().__init__(message, result, call, key)
        self.question = question


class CascadeFailed(RunError):
    """A cascade (``autan.Cascade``) ended without an answer: its last tier failed or was
    rejected, or a tier failed for a reason the cascade does not escalate on. ``tiers``: how
    each tier ended; ``result``: the last tier's run."""

    def __init__(self, message: str, result: RunResult, tiers: tuple[TierEnded, ...]) -> None:
        super().__init__(message, result)
        self.tiers = tiers


class VerifierFailed(RunError):
    """A cascade's verifier raised (the exception is the ``__cause__``) or returned something
    that is not a bool. The cascade stops without deciding; ``result`` is the tier's answered
    run. Resuming the cascade verifies that answer again (the tier does not run again)."""
