"""Which isolation does a run get? bubblewrap; else Landlock + seccomp; else none, only when the
user opted out by name; else ``SandboxUnavailable``.

``AUTAN_SANDBOX=bubblewrap`` or ``AUTAN_SANDBOX=landlock`` asks for one of them only.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from autan.errors import ConfigurationError, SandboxUnavailable
from autan.sandbox._bwrap import NOBODY, bwrap_argv, bwrap_path, running_as_root
from autan.sandbox._confined import (
    check_confinement,
    confined_argv,
    fresh_workspace,
    remove_workspace,
)
from autan.sandbox._workspace_quota import WorkspaceQuota

KINDS = ("bubblewrap", "landlock")


@dataclass(frozen=True)
class Isolation:
    """The command that runs ``command`` isolated, and what the host must do around it."""

    kind: str  # bubblewrap, landlock or none
    argv: list[str]
    drop_to_uid: int | None
    kill_group: bool  # no PID namespace: the host kills the whole process group
    temporary_workspace: Path | None
    quota: WorkspaceQuota | None = None  # watched by the host (no sized tmpfs here)

    def cleanup(self) -> None:
        if self.temporary_workspace is not None:
            remove_workspace(self.temporary_workspace)


def available() -> str:
    """Which isolation runs code here: ``"bubblewrap"`` or ``"landlock"`` (the first that works,
    or the one ``AUTAN_SANDBOX`` names); ``SandboxUnavailable`` saying why each cannot."""
    kind, problems = _usable()
    if kind is None:
        raise SandboxUnavailable("; ".join(problems))
    return kind


def isolate(
    command: list[str],
    workspace: Path | None,
    writable: bool,
    workspace_mb: int,
    allow_unsandboxed: bool,
) -> Isolation:
    kind, problems = _usable()
    drop = NOBODY if running_as_root() else None
    if kind == "bubblewrap":
        argv = bwrap_argv(bwrap_path(), workspace, writable, workspace_mb, command)
        return Isolation("bubblewrap", argv, drop, False, None)
    if kind == "landlock":
        return _landlock(command, workspace, writable, workspace_mb, drop)
    if allow_unsandboxed:
        return Isolation("none", command, None, True, None)
    raise SandboxUnavailable(
        "; ".join(problems) + "; pass allow_unsandboxed=True (CLI: --i-understand-no-isolation) "
        "to run code with resource limits but no isolation"
    )


def _usable() -> tuple[str | None, list[str]]:
    """The kind of isolation to use, and why each kind tried before it cannot run."""
    wanted = _wanted()
    problems = []
    if wanted in ("auto", "bubblewrap"):
        try:
            bwrap_path()
        except SandboxUnavailable as error:
            problems.append(str(error))
        else:
            return "bubblewrap", problems
    if wanted in ("auto", "landlock"):
        try:
            check_confinement()
        except SandboxUnavailable as error:
            problems.append(str(error))
        else:
            return "landlock", problems
    return None, problems


def _landlock(
    command: list[str], workspace: Path | None, writable: bool, workspace_mb: int, drop: int | None
) -> Isolation:
    """A given workspace is bound as it is (as under bubblewrap); a fresh one gets the quota."""
    temporary = fresh_workspace() if workspace is None else None
    folder = temporary or workspace
    assert folder is not None
    argv = confined_argv(folder, writable or temporary is not None, command)
    quota = WorkspaceQuota(temporary, workspace_mb * 1024 * 1024) if temporary else None
    return Isolation("landlock", argv, drop, True, temporary, quota)


def _wanted() -> str:
    wanted = os.environ.get("AUTAN_SANDBOX", "auto") or "auto"
    if wanted not in ("auto", *KINDS):
        raise ConfigurationError(f"AUTAN_SANDBOX must be bubblewrap or landlock, not {wanted!r}")
    return wanted
