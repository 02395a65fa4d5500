"""How is a Landlock + seccomp command line built, and can that sandbox run here?

The fallback where bubblewrap cannot run (no user namespaces: many containers, hardened
distributions). The code sees the real paths, but Landlock lets it read only the system and
interpreter directories and write only its workspace (a fresh temporary directory unless one
is given); seccomp takes away sockets, other processes and namespaces; the host kills its whole
process group, which it cannot leave. As root (where the host lets it), the launcher also makes
PID, IPC, mount, UTS and network namespaces of its own (``_namespaces.py``).
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import subprocess
import sys
from pathlib import Path

from autan.errors import SandboxUnavailable
from autan.sandbox._bwrap import running_as_root
from autan.sandbox._confine import CONFINE_FAILED, launch_code
from autan.sandbox._interpreter import python_paths, sandbox_python

_SYSTEM = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc/ld.so.cache",
           "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime", "/dev/zero",
           "/dev/urandom", "/dev/random"]  # fmt: skip
_DEVICES = ["/dev/null", "/dev/full"]
_PATH = "/usr/local/bin:/usr/bin:/bin"


def confined_argv(
    workspace: Path, writable: bool, command: list[str], tmpfs: dict[str, int] | None = None
) -> list[str]:
    """The launcher command that confines itself, then runs ``command`` in ``workspace``: in
    namespaces of its own where root may make them (``tmpfs``: the sized mount of a fresh
    workspace there)."""
    policy = {
        "namespaces": namespaces_available(),
        "tmpfs": tmpfs if namespaces_available() else None,
        "read": [*_SYSTEM, *python_paths(), *([] if writable else [str(workspace)])],
        "write": [*_DEVICES, *([str(workspace)] if writable else [])],
        "workspace": str(workspace),
        "env": {"PATH": _PATH, "HOME": str(workspace), "TMPDIR": str(workspace),
                "LANG": "C.UTF-8"},
    }  # fmt: skip
    return [sys.executable, "-I", "-B", "-c", launch_code(), json.dumps(policy), *command]


def check_confinement() -> None:
    """Raises ``SandboxUnavailable`` unless a confined interpreter starts and imports here."""
    problem = _probe(sandbox_python())
    if problem:
        raise SandboxUnavailable(f"the Landlock + seccomp sandbox cannot run here: {problem}")


@functools.cache
def namespaces_available() -> bool:
    """As root, whether this host lets the launcher make its PID, IPC, mount, UTS and network
    namespaces (a container may withhold ``CAP_SYS_ADMIN`` even from root)."""
    if not running_as_root():
        return False
    argv = [sys.executable, "-I", "-B", "-c", _UNSHARE_PROBE]
    try:
        done = subprocess.run(argv, capture_output=True, timeout=20, check=False, env={})
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


_UNSHARE_PROBE = (
    "import ctypes, sys; sys.exit(ctypes.CDLL(None).unshare("
    "0x20000000 | 0x08000000 | 0x00020000 | 0x04000000 | 0x40000000) != 0)"
)


@functools.cache
def _probe(python: str) -> str:
    from autan.sandbox._landlock import MINIMUM_ABI, abi_version
    from autan.sandbox._run_user import claim_run_user

    abi = abi_version()
    if abi < MINIMUM_ABI:
        return f"the kernel's Landlock ABI is {abi}, {MINIMUM_ABI} is needed (Linux 6.12 or later)"
    user = claim_run_user() if running_as_root() else None
    uid = None if user is None else user.uid
    drop = f"import os; os.setgroups([]); os.setgid({uid}); os.setuid({uid}); "
    check = (drop if uid is not None else "") + "import decimal, json"
    workspace = fresh_workspace(uid)
    argv = confined_argv(workspace, False, [python, "-I", "-B", "-c", check])
    try:
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=20, check=False, env={}
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired) as error:
        return str(error)
    finally:
        remove_workspace(workspace)
        if user is not None:
            user.release()
    if done.returncode == 0:
        return ""
    lines = done.stderr.strip().splitlines()
    reason = lines[-1] if lines else f"exit {done.returncode}"
    if done.returncode != CONFINE_FAILED and running_as_root():
        reason += (
            f" (the code runs as a uid of its own, which cannot read the interpreter {python}: "
            "set AUTAN_SANDBOX_PYTHON to one every user can read, such as /usr/bin/python3)"
        )
    return reason


def fresh_workspace(uid: int | None) -> Path:
    """An empty directory for one run, owned by ``uid`` (the user the code runs as) and
    reachable by no other sandbox user."""
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="autan-sandbox-"))
    if uid is not None:
        os.chown(folder, uid, uid)
    return folder


def remove_workspace(folder: Path) -> None:
    """Delete a run's workspace however deep it nests and whatever the code made unreadable or
    unwritable in it: one directory descriptor at a time (no recursion, no descriptor per
    level), no link followed. Called once the code is dead, so nothing races the walk."""
    current = _open_for_removal(str(folder), None)
    if current is None:
        return
    names: list[str] = []
    while True:
        child = _first_subdirectory_after_unlinking_files(current)
        if child is not None:
            opened = _open_for_removal(child, current)
            if opened is not None:
                os.close(current)
                current = opened
                names.append(child)
                continue
            if not _removed(child, current):  # neither opened nor removed: leave it
                os.close(current)
                return
            continue
        if not names:
            os.close(current)
            with contextlib.suppress(OSError):
                os.rmdir(folder)
            return
        parent = os.open("..", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC, dir_fd=current)
        os.close(current)
        current = parent
        with contextlib.suppress(OSError):
            os.rmdir(names.pop(), dir_fd=current)


def _removed(name: str, parent: int) -> bool:
    for remove in (os.unlink, os.rmdir):
        try:
            remove(name, dir_fd=parent)
            return True
        except FileNotFoundError:
            return True
        except OSError:
            pass
    return False


def _first_subdirectory_after_unlinking_files(fd: int) -> str | None:
    with os.scandir(fd) as listing:
        entries = list(listing)
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            return entry.name
        with contextlib.suppress(OSError):
            os.unlink(entry.name, dir_fd=fd)
    return None


def _open_for_removal(name: str, parent: int | None) -> int | None:
    """A descriptor of the directory ``name`` to list and unlink in (opened up for its owner
    first, since the code may have made it unreadable); None when it is not a directory."""
    flags = os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        handle = os.open(name, flags, dir_fd=parent)
    except OSError:
        return None
    try:
        pinned = f"/proc/self/fd/{handle}"  # exactly the directory that was opened
        with contextlib.suppress(OSError):
            os.chmod(pinned, 0o700)
        return os.open(pinned, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return None
    finally:
        os.close(handle)
