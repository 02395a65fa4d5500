"""How is a bubblewrap command line built, and can bubblewrap run here?"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from pathlib import Path

from autan.errors import SandboxUnavailable
from autan.sandbox._interpreter import python_paths

#: Inside the sandbox: where the workspace is.
WORKSPACE = "/workspace"
#: Inodes a sized tmpfs gets per MB of its size (a file costs about 1 KB of kernel memory).
INODES_PER_MB = 256
_PATH = "/usr/local/bin:/usr/bin:/bin"
_NAMESPACES = ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts"]


def running_as_root() -> bool:
    return os.geteuid() == 0


def tmpfs_inodes(size_mb: int) -> int:
    """How many files and directories a workspace tmpfs of ``size_mb`` may hold."""
    return max(1024, size_mb * INODES_PER_MB)


def tmpfs_mounts(workspace: Path | None, workspace_mb: int) -> tuple[tuple[str, int, int], ...]:
    """The sized tmpfs mounts of a sandbox: (path, bytes, inodes)."""
    size, inodes = workspace_mb * 1024 * 1024, tmpfs_inodes(workspace_mb)
    paths = ["/tmp"] if workspace is not None else ["/tmp", WORKSPACE]
    return tuple((path, size, inodes) for path in paths)


def bwrap_path() -> str:
    """The bwrap binary, after checking once that it can create the sandbox's namespaces."""
    path = shutil.which("bwrap")
    if path is None:
        raise SandboxUnavailable(
            "bubblewrap (bwrap) is not installed; install the 'bubblewrap' package"
        )
    problem = _probe(path)
    if problem:
        raise SandboxUnavailable(f"bubblewrap cannot create a sandbox here: {problem}")
    return path


@functools.cache
def _probe(path: str) -> str:
    argv = [path, *_filesystem(None, False, 1), *_isolation(), "--", "/bin/true"]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        return str(error)
    return "" if done.returncode == 0 else (done.stderr.strip() or f"exit {done.returncode}")


def bwrap_argv(
    path: str, workspace: Path | None, writable: bool, workspace_mb: int, command: list[str]
) -> list[str]:
    return [path, *_filesystem(workspace, writable, workspace_mb), *_isolation(), "--", *command]


def _isolation() -> list[str]:
    # --as-pid-1: the runner is the PID namespace's init, so bwrap waits for it directly (its
    # rusage reaches the host) and every other process in the sandbox dies when it exits.
    common = ["--as-pid-1", "--new-session", "--die-with-parent", "--clearenv"]
    common += ["--setenv", "PATH", _PATH]
    common += ["--setenv", "HOME", WORKSPACE, "--setenv", "LANG", "C.UTF-8"]
    if running_as_root():
        # No user namespace: the code must run as a real unprivileged uid (the runner drops
        # to a uid of the run's own with the capabilities kept for that, and SYS_ADMIN to
        # bound its tmpfs inodes first), else RLIMIT_NPROC is not enforced.
        caps = ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
        caps += ["--cap-add", "CAP_SYS_ADMIN"]
        return [*_NAMESPACES, "--unshare-cgroup-try", *caps, *common]
    return ["--unshare-all", "--unshare-user", "--disable-userns", *common]


def _filesystem(workspace: Path | None, writable: bool, workspace_mb: int) -> list[str]:
    argv = ["--ro-bind", "/usr", "/usr"]
    for name in ("bin", "sbin", "lib", "lib32", "lib64"):
        argv += _mirror(Path("/") / name)
    for name in ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime"):
        argv += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    # /tmp first: an interpreter or virtualenv that lives under /tmp is bound on top of it.
    argv += ["--perms", "1777", "--size", str(workspace_mb * 1024 * 1024), "--tmpfs", "/tmp"]
    for path in python_paths():
        argv += [*_parents(path), *_mirror(Path(path))]
    argv += ["--proc", "/proc", "--dev", "/dev"]
    if workspace is None:
        argv += ["--perms", "1777", "--size", str(workspace_mb * 1024 * 1024)]
        argv += ["--tmpfs", WORKSPACE]
    else:
        argv += ["--bind" if writable else "--ro-bind", str(workspace), WORKSPACE]
    return [*argv, "--chdir", WORKSPACE]


def _parents(path: str) -> list[str]:
    """Traversable parents: bwrap would copy their host modes (/root is 0700), and the code
    runs as another user."""
    argv: list[str] = []
    for parent in reversed(Path(path).parents[:-1]):
        if parent != Path("/tmp"):
            argv += ["--perms", "0755", "--dir", str(parent)]
    return argv


def _mirror(path: Path) -> list[str]:
    if path.is_symlink():
        return ["--symlink", os.readlink(path), str(path)]
    if path.exists():
        return ["--ro-bind", str(path), str(path)]
    return []
