"""How is a Landlock + seccomp command line built, and can that sandbox run here?

The fallback where bubblewrap cannot run (no user namespaces: many containers, hardened
distributions). There is no mount or PID namespace: the code sees the real paths, but Landlock
lets it read only the system and interpreter directories and write only its workspace (a fresh
temporary directory unless one is given); seccomp takes away sockets, other processes and
namespaces; the host kills its whole process group, which it cannot leave.
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
from autan.sandbox._bwrap import NOBODY, running_as_root
from autan.sandbox._confine import CONFINE_FAILED, launch_code
from autan.sandbox._interpreter import python_paths, sandbox_python

_SYSTEM = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc/ld.so.cache",
           "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime", "/dev/zero",
           "/dev/urandom", "/dev/random"]  # fmt: skip
_DEVICES = ["/dev/null", "/dev/full"]
_PATH = "/usr/local/bin:/usr/bin:/bin"


def confined_argv(workspace: Path, writable: bool, command: list[str]) -> list[str]:
    """The launcher command that confines itself, then runs ``command`` in ``workspace``."""
    policy = {
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
def _probe(python: str) -> str:
    from autan.sandbox._landlock import MINIMUM_ABI, abi_version

    abi = abi_version()
    if abi < MINIMUM_ABI:
        return f"the kernel's Landlock ABI is {abi}, {MINIMUM_ABI} is needed (Linux 6.12 or later)"
    drop = f"import os; os.setgroups([]); os.setgid({NOBODY}); os.setuid({NOBODY}); "
    check = (drop if running_as_root() else "") + "import decimal, json"
    workspace = fresh_workspace()
    argv = confined_argv(workspace, False, [python, "-I", "-B", "-c", check])
    try:
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=20, check=False, env={}
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired) as error:
        return str(error)
    finally:
        remove_workspace(workspace)
    if done.returncode == 0:
        return ""
    lines = done.stderr.strip().splitlines()
    reason = lines[-1] if lines else f"exit {done.returncode}"
    if done.returncode != CONFINE_FAILED and running_as_root():
        reason += (
            f" (the code runs as nobody, who cannot read the interpreter {python}: set "
            "AUTAN_SANDBOX_PYTHON to one that nobody can read, such as /usr/bin/python3)"
        )
    return reason


def fresh_workspace() -> Path:
    """An empty directory for one run, owned by the user the code runs as."""
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="autan-sandbox-"))
    if running_as_root():
        os.chown(folder, NOBODY, NOBODY)
    return folder


def remove_workspace(folder: Path) -> None:
    """Delete a run's workspace, also what the code made unreadable or unwritable in it."""
    import shutil

    with contextlib.suppress(OSError):
        os.chmod(folder, 0o700)
    for directory, subdirectories, _ in os.walk(folder):
        for name in subdirectories:  # before the walk goes in; links are never followed
            path = os.path.join(directory, name)
            if not os.path.islink(path):
                with contextlib.suppress(OSError):
                    os.chmod(path, 0o700)
    shutil.rmtree(folder, ignore_errors=True)
