"""Which isolation does a run get? bubblewrap; else Landlock + seccomp; else none, only when the
user opted out by name; else ``SandboxUnavailable``.

``AUTAN_SANDBOX=bubblewrap`` or ``AUTAN_SANDBOX=landlock`` asks for one of them only.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

from autan.errors import ConfigurationError, SandboxUnavailable
from autan.sandbox._bwrap import (
    bwrap_argv,
    bwrap_path,
    running_as_root,
    tmpfs_inodes,
    tmpfs_mounts,
)
from autan.sandbox._confined import (
    check_confinement,
    confined_argv,
    fresh_workspace,
    namespaces_available,
    remove_workspace,
)
from autan.sandbox._limits import SandboxLimits
from autan.sandbox._memory_cgroup import OVERHEAD_MB, MemoryCgroup, memory_cgroup
from autan.sandbox._run_user import RunUser, claim_run_user
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
    run_user: RunUser | None = None  # as root: the uid of this run's own, released after
    cgroup: MemoryCgroup | None = None  # as root: the run's memory bound, removed after
    remounts: tuple[tuple[str, int, int], ...] = ()  # tmpfs (path, bytes, inodes) to bound

    def cleanup(self) -> None:
        if self.temporary_workspace is not None:
            remove_workspace(self.temporary_workspace)
        if self.cgroup is not None:
            self.cgroup.remove()
        if self.run_user is not None:
            self.run_user.release()


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
    limits: SandboxLimits,
    allow_unsandboxed: bool,
) -> Isolation:
    kind, problems = _usable()
    if kind in KINDS:
        user = claim_run_user() if running_as_root() else None
        try:
            isolation = _isolation(kind, command, workspace, writable, limits.workspace_mb, user)
        except BaseException:
            if user is not None:
                user.release()
            raise
        # the tmpfs workspace and /tmp (bubblewrap) are memory too
        bound = limits.memory_mb + 2 * limits.workspace_mb + OVERHEAD_MB
        return dataclasses.replace(isolation, cgroup=memory_cgroup(bound))
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


def _isolation(
    kind: str,
    command: list[str],
    workspace: Path | None,
    writable: bool,
    workspace_mb: int,
    user: RunUser | None,
) -> Isolation:
    if kind == "bubblewrap":
        argv = bwrap_argv(bwrap_path(), workspace, writable, workspace_mb, command)
        mounts = tmpfs_mounts(workspace, workspace_mb) if user is not None else ()
        return Isolation(
            "bubblewrap", argv, _uid(user), False, None, run_user=user, remounts=mounts
        )
    return _landlock(command, workspace, writable, workspace_mb, user)


def _uid(user: RunUser | None) -> int | None:
    return None if user is None else user.uid


def _landlock(
    command: list[str],
    workspace: Path | None,
    writable: bool,
    workspace_mb: int,
    user: RunUser | None,
) -> Isolation:
    """A given workspace is bound as it is (as under bubblewrap). A fresh one is a sized tmpfs
    in the launcher's mount namespace where it makes one (as root), else a directory on the
    host's disk that the host watches (the quota)."""
    if user is None:
        _warn_running_as_the_host_user()
    size = workspace_mb * 1024 * 1024
    temporary = fresh_workspace(_uid(user)) if workspace is None else None
    folder = temporary or workspace
    assert folder is not None
    tmpfs = None
    if temporary is not None and user is not None and namespaces_available():
        tmpfs = {"size": size, "inodes": tmpfs_inodes(workspace_mb), "uid": user.uid}
    argv = confined_argv(folder, writable or temporary is not None, command, tmpfs)
    quota = None
    if temporary is not None and tmpfs is None:
        quota = WorkspaceQuota(temporary, size, tmpfs_inodes(workspace_mb))
    return Isolation("landlock", argv, _uid(user), True, temporary, quota, run_user=user)


@functools.cache
def _warn_running_as_the_host_user() -> None:
    """Once per process: what the fallback cannot isolate without root is said, not refused."""
    warnings.warn(
        "autan sandbox: Landlock without root runs the code as your own user, with no PID, "
        "IPC or mount namespace of its own (it can see the host's process ids and the names and "
        "metadata of host files, though not read, write or signal them); see "
        "docs/security.md, 'What each kind isolates'",
        RuntimeWarning,
        stacklevel=4,
    )


def _wanted() -> str:
    wanted = os.environ.get("AUTAN_SANDBOX", "auto") or "auto"
    if wanted not in ("auto", *KINDS):
        raise ConfigurationError(f"AUTAN_SANDBOX must be bubblewrap or landlock, not {wanted!r}")
    return wanted
