"""Run a snippet of Python in the sandbox and say what it did."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autan.errors import WorkspaceError
from autan.sandbox._interpreter import sandbox_python
from autan.sandbox._isolation import Isolation, isolate
from autan.sandbox._limits import SandboxLimits
from autan.sandbox._process import ArgvFor, Outcome, rlimits, run_process
from autan.sandbox._result import SandboxResult
from autan.sandbox._seccomp import bpf_program

_RUNNER = (Path(__file__).parent / "_runner.py").read_text(encoding="utf-8")


def run_python(
    code: str,
    *,
    limits: SandboxLimits | None = None,
    workspace: str | Path | None = None,
    writable: bool = False,
    allow_unsandboxed: bool = False,
) -> SandboxResult:
    """Run ``code`` in a fresh sandbox and return what it printed, set and used.

    With bubblewrap the code sees a read-only system, an empty tmpfs at ``/workspace`` (or
    ``workspace`` bound there, read-only unless ``writable``), no network, no host
    environment, and runs under ``limits``. Where bubblewrap cannot run, Landlock + seccomp
    give the same guarantees without the private view of the file system (the code works in a
    fresh temporary directory, or in ``workspace``). It sets its result with ``result = ...``
    or ``final_answer(...)``; the value comes back through JSON only. Where neither can run
    this raises ``SandboxUnavailable`` unless ``allow_unsandboxed=True``, which runs the code
    as a plain child process with the same limits and **no isolation at all**.
    """
    limits = limits or SandboxLimits()
    launch = prepare(limits, workspace, writable, allow_unsandboxed)
    try:
        outcome = run_process(
            launch.argv_for({}),
            code.encode(),
            limits.timeout,
            limits.output_bytes,
            launch.preexec,
            kill_group=launch.isolation.kill_group,
            quota=launch.isolation.quota,
        )
    finally:
        launch.isolation.cleanup()
    return sandbox_result(outcome, outcome.record, launch.isolation.kind)


@dataclass(frozen=True)
class Launch:
    """How to start one sandbox: the isolation, the runner's settings, the host-side limits."""

    isolation: Isolation
    settings: dict[str, Any]
    preexec: Callable[[], None]

    def argv_for(self, extra: dict[str, Any]) -> ArgvFor:
        # The pipes' numbers are only known once they exist: the process starter passes them.
        def argv(record_fd: int, reply_fd: int | None) -> list[str]:
            settings = {**self.settings, **extra, "result_fd": record_fd, "reply_fd": reply_fd}
            return [*self.isolation.argv, json.dumps(settings)]

        return argv


def prepare(
    limits: SandboxLimits, workspace: str | Path | None, writable: bool, allow_unsandboxed: bool
) -> Launch:
    """Check the workspace and the sandbox; raises ``SandboxUnavailable`` when none can be made
    and ``allow_unsandboxed`` is false. The caller runs ``launch.isolation.cleanup()`` after."""
    folder = checked_workspace(workspace)
    # -u: what the code printed before a timeout kills it is in the pipe, not in its buffer.
    python = [sandbox_python(), "-I", "-B", "-u", "-c", _RUNNER]
    isolation = isolate(python, folder, writable, limits, allow_unsandboxed)
    cgroup = None if isolation.cgroup is None else isolation.cgroup.path / "cgroup.procs"
    preexec = rlimits(
        limits.cpu_seconds, limits.memory_mb, limits.file_size_mb, limits.open_files, cgroup
    )
    settings: dict[str, Any] = {
        "limits": _limit_settings(limits),
        "drop_to_uid": isolation.drop_to_uid,
        "remounts": isolation.remounts,
        "seccomp": _seccomp_for(isolation),
    }
    return Launch(isolation, settings, preexec)


def _seccomp_for(isolation: Isolation) -> str | None:
    """The filter the runner loads itself: under bubblewrap (the Landlock launcher has loaded
    it already; without isolation nothing is enforced anyway)."""
    if isolation.kind != "bubblewrap":
        return None
    program = bpf_program()
    return base64.b64encode(program).decode() if program else None


def checked_workspace(workspace: str | Path | None) -> Path | None:
    """The workspace as an absolute directory; ``WorkspaceError`` when it is not one."""
    if workspace is None:
        return None
    folder = Path(workspace).resolve()
    if not folder.is_dir():
        raise WorkspaceError(f"workspace is not a directory: {workspace}")
    return folder


def _limit_settings(limits: SandboxLimits) -> dict[str, int]:
    names = ("cpu_seconds", "memory_mb", "file_size_mb", "open_files", "processes")
    return {name: getattr(limits, name) for name in names}


def sandbox_result(outcome: Outcome, raw_record: bytes, isolation: str) -> SandboxResult:
    """What a run did, from what the host saw and the result record the runner wrote."""
    # A run that went past its workspace quota gives no result, even if it got to the end.
    record = {} if outcome.over_workspace else _decode_record(raw_record)
    finished = bool(raw_record)
    killed = outcome.host_killed or (not finished and (outcome.status < 0 or outcome.status > 128))
    error = None
    if outcome.timed_out:
        error = "timeout"
    elif outcome.over_output:
        error = "output limit"
    elif outcome.over_workspace:
        error = "workspace limit"
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
        answered=record.get("final") is True,
        truncated=outcome.over_output,
        error=error,
        isolation=isolation,
    )


def _decode_record(raw: bytes) -> dict[str, Any]:
    try:
        record = json.loads(raw) if raw else {}
    except (ValueError, RecursionError):
        return {"error": "the result record is not valid JSON"}
    return record if isinstance(record, dict) else {"error": "the result record is not an object"}
