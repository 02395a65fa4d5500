"""Run a snippet of Python in the sandbox and say what it did."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from autan.errors import ConfigurationError, WorkspaceError
from autan.sandbox._bwrap import NOBODY, bwrap_argv, bwrap_path, running_as_root
from autan.sandbox._limits import SandboxLimits
from autan.sandbox._process import Outcome, rlimits, run_process
from autan.sandbox._result import SandboxResult

_RUNNER = (Path(__file__).parent / "_runner.py").read_text(encoding="utf-8")


def run_python(
    code: str,
    *,
    limits: SandboxLimits | None = None,
    workspace: str | Path | None = None,
    writable: bool = False,
    allow_unsandboxed: bool = False,
) -> SandboxResult:
    """Run ``code`` in a fresh bubblewrap sandbox and return what it printed, set and used.

    The code sees a read-only system, an empty tmpfs at ``/workspace`` (or ``workspace``
    bound there, read-only unless ``writable``), no network, no host environment, and runs
    under ``limits``. It sets its result with ``result = ...`` or ``final_answer(...)``; the
    value comes back through JSON only. Without a usable bubblewrap this raises
    ``SandboxUnavailable`` unless ``allow_unsandboxed=True``, which runs the code as a plain
    child process with the same limits and **no isolation at all**.
    """
    limits = limits or SandboxLimits()
    folder = _workspace(workspace)
    command, drop = _command(folder, writable, limits, allow_unsandboxed)
    preexec = rlimits(limits.cpu_seconds, limits.memory_mb, limits.file_size_mb, limits.open_files)
    settings: dict[str, Any] = {"limits": _limit_settings(limits), "drop_to_uid": drop}
    outcome = _launch(command, settings, code, limits, preexec)
    return _result(outcome)


def _workspace(workspace: str | Path | None) -> Path | None:
    if workspace is None:
        return None
    folder = Path(workspace).resolve()
    if not folder.is_dir():
        raise WorkspaceError(f"workspace is not a directory: {workspace}")
    return folder


def _command(
    folder: Path | None, writable: bool, limits: SandboxLimits, allow_unsandboxed: bool
) -> tuple[list[str], int | None]:
    python = [sys.executable, "-I", "-B", "-c", _RUNNER]
    try:
        path = bwrap_path()
    except ConfigurationError:
        if not allow_unsandboxed:
            raise
        return python, None
    drop = NOBODY if running_as_root() else None
    return bwrap_argv(path, folder, writable, limits.workspace_mb, python), drop


def _limit_settings(limits: SandboxLimits) -> dict[str, int]:
    names = ("cpu_seconds", "memory_mb", "file_size_mb", "open_files", "processes")
    return {name: getattr(limits, name) for name in names}


def _launch(
    command: list[str], settings: dict[str, Any], code: str, limits: SandboxLimits, preexec: Any
) -> Outcome:
    # The result pipe's number is only known once it exists: run_process appends it.
    def argv_for(fd: int) -> list[str]:
        return [*command, json.dumps({**settings, "result_fd": fd})]

    return run_process(argv_for, code.encode(), limits.timeout, limits.output_bytes, preexec)


def _result(outcome: Outcome) -> SandboxResult:
    record = _decode_record(outcome.record)
    finished = bool(outcome.record)
    killed = outcome.host_killed or (not finished and (outcome.status < 0 or outcome.status > 128))
    error = None
    if outcome.timed_out:
        error = "timeout"
    elif outcome.over_output:
        error = "output limit"
    elif "error" in record:
        error = str(record["error"])
    elif killed:
        error = "killed by a signal (CPU or memory limit)"
    return SandboxResult(
        stdout=outcome.stdout.decode("utf-8", "replace"),
        stderr=outcome.stderr.decode("utf-8", "replace"),
        exit_code=-9 if outcome.host_killed else outcome.status,
        timed_out=outcome.timed_out,
        killed=killed,
        cpu_seconds=outcome.cpu_seconds,
        max_rss_mb=outcome.max_rss_mb,
        result=record.get("result"),
        has_result="result" in record,
        truncated=outcome.over_output,
        error=error,
    )


def _decode_record(raw: bytes) -> dict[str, Any]:
    try:
        record = json.loads(raw) if raw else {}
    except (ValueError, RecursionError):
        return {"error": "the result record is not valid JSON"}
    return record if isinstance(record, dict) else {"error": "the result record is not an object"}
