"""The Landlock sandbox's launcher: confine this process for good, then become the runner.

The host starts ``python -c LAUNCH POLICY COMMAND...`` (``launch_code``). The launcher applies
Landlock (paths, TCP, signal scoping) and the seccomp filter, then ``execve``s ``COMMAND`` in the
workspace with a fixed environment; both restrictions survive the exec and bind every process
the code starts. Any failure exits 126 before the code runs: the sandbox fails closed.

As root (``policy["namespaces"]``), the launcher first unshares the namespaces root may make
without a user namespace (PID, IPC, mount, UTS, network; ``_namespaces.py``) and forks: the
child, PID 1 of the new PID namespace, enters a root of its own that holds only the policy's
paths (``_minimal_root.py``), is confined and becomes the runner, so when it ends or
is killed every process the code started dies with it, whatever descriptors they closed; the
launcher waits for it and exits as it did.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

CONFINE_FAILED = 126


def launch_code() -> str:
    """The ``-c`` program that runs ``main`` (PYTHONPATH and site are not relied on)."""
    root = str(Path(__file__).resolve().parents[2])
    return (
        f"import sys; sys.path.insert(0, {root!r}); from autan.sandbox._confine import main; main()"
    )


def main() -> None:
    policy, command = json.loads(sys.argv[1]), sys.argv[2:]
    try:
        _die_with_parent()
        if policy.get("namespaces"):
            # imported while autan's own files are in sight: the root made next holds none
            from autan.sandbox import _landlock, _seccomp  # noqa: F401
            from autan.sandbox._minimal_root import enter_minimal_root
            from autan.sandbox._namespaces import enter_namespaces

            _seccomp.preload()
            enter_namespaces()
            read, write = policy["read"], policy["write"]
            enter_minimal_root(read, write, str(policy["workspace"]), policy.get("tmpfs"))
        _confine(policy)
        os.execve(command[0], command, policy["env"])
    except Exception as error:  # whatever went wrong, the code must not run unconfined
        os.write(2, f"autan sandbox: cannot confine the process: {error}\n".encode())
        os._exit(CONFINE_FAILED)


def _die_with_parent() -> None:
    import ctypes

    pr_set_pdeathsig = 1
    if ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL) != 0:
        raise OSError("could not set the parent-death signal")


def _confine(policy: dict[str, object]) -> None:
    from autan.sandbox._landlock import restrict
    from autan.sandbox._seccomp import load_filter

    os.chdir(str(policy["workspace"]))
    read, write = policy["read"], policy["write"]
    if not isinstance(read, list) or not isinstance(write, list):
        raise TypeError("the policy's read and write must be lists of paths")
    restrict(read, write)
    load_filter(same_user=os.getuid() != 0)  # as root, the runner drops to a uid of its own
