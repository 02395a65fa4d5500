"""What did a sandboxed snippet do?"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: The keys ``autan sandbox run`` prints, in this order.
REPORT_KEYS = (
    "stdout",
    "stderr",
    "result",
    "error",
    "exit_code",
    "timed_out",
    "killed",
    "cpu_seconds",
    "max_rss_mb",
    "isolation",
)


@dataclass(frozen=True)
class SandboxResult:
    """One run: its output (capped), its result value (JSON only) and its resource use.

    ``exit_code`` is the snippet's status, or ``-9`` when the host killed it; ``killed`` is true
    when it ended by a signal (the host's, for ``timed_out`` or too much output, or the kernel's,
    for the CPU limit); ``result`` is the value the snippet set (``result = ...`` or
    ``final_answer(...)``), decoded from JSON, else ``None``; ``error`` says why a run produced no
    result when that is not the snippet's own exception (``"timeout"``, ``"output limit"``, ...).
    """

    stdout: str
    stderr: str
    exit_code: int
    timed_out: bool
    killed: bool
    cpu_seconds: float
    max_rss_mb: float
    result: Any = None
    has_result: bool = False
    answered: bool = False
    """The snippet called ``final_answer(...)`` (not only set ``result``)."""
    truncated: bool = False
    error: str | None = None
    isolation: str = "bubblewrap"
    """How the run was isolated: ``bubblewrap``, ``landlock`` (Landlock + seccomp) or ``none``."""

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.killed

    def report(self) -> dict[str, Any]:
        """The keys of the CLI's JSON object (``REPORT_KEYS``); ``result`` is ``None`` when the
        snippet set none."""
        return {key: getattr(self, key) for key in REPORT_KEYS}
