"""``python_tool()``: a tool that runs the model's Python in the sandbox."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import TYPE_CHECKING

from autan.sandbox._isolation import available
from autan.sandbox._limits import SandboxLimits
from autan.sandbox._result import SandboxResult
from autan.sandbox._run import checked_workspace, run_python

if TYPE_CHECKING:
    from autan.tools import Tool

_STDERR_TAIL = 1500


class CodeFailed(RuntimeError):
    """The code raised, exited non-zero or was killed; the message is written for the model."""


def python_tool(
    *,
    limits: SandboxLimits | None = None,
    workspace: str | Path | None = None,
    writable: bool = False,
    allow_unsandboxed: bool = False,
    name: str = "python",
) -> Tool:
    """A tool that runs Python code in a fresh sandbox per call (see ``run_python``).

    The observation is what the code printed, then ``result: <JSON>`` if it set ``result`` or
    called ``final_answer(...)``. A failure (exception, timeout, limit) is an error observation
    holding the output and the end of stderr. Raises now, not at the first call:
    ``WorkspaceError`` when ``workspace`` is not a directory, ``SandboxUnavailable`` when no
    sandbox can be made and ``allow_unsandboxed`` is false.
    """
    from autan.tools import tool

    checked_workspace(workspace)
    if not allow_unsandboxed:
        available()

    def python(code: str) -> str:
        """Run Python code in an isolated sandbox (no network, no host files) and return what it
        printed. Set `result = value` to return a JSON value.

        Args:
            code: a complete Python program
        """
        done = run_python(
            code,
            limits=limits,
            workspace=workspace,
            writable=writable,
            allow_unsandboxed=allow_unsandboxed,
        )
        return observation(done)

    return dataclasses.replace(tool(name=name)(python), source="sandbox")


def observation(done: SandboxResult) -> str:
    """What the model sees of a run; raises ``CodeFailed`` for a failed one."""
    parts = [done.stdout.rstrip("\n")] if done.stdout.strip() else []
    if done.has_result:
        parts.append("result: " + json.dumps(done.result, ensure_ascii=False))
    if done.ok and done.error is None:
        return "\n".join(parts) or "(no output)"
    why = done.error or f"exit status {done.exit_code}"
    parts.append(f"failed: {why}")
    if done.stderr.strip():
        parts.append(done.stderr.strip()[-_STDERR_TAIL:])
    raise CodeFailed("\n".join(parts))
