"""The namespaces the Landlock launcher makes when it runs as root (no user namespace needed).

``enter_namespaces`` unshares PID, IPC, mount, UTS and network namespaces and forks. The parent
(still in the host's PID namespace) waits for the child and exits as it did. The child is PID 1
of the new namespace: the kernel kills every process of it when the child ends, and SysV IPC
objects and POSIX message queues die with the IPC namespace. In the private mount namespace
the child mounts a fresh ``/proc`` (the namespace's processes only); the launcher then enters a
root of its own there (``_minimal_root``).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
from typing import Any

_CLONE_NEWNS = 0x00020000
_CLONE_NEWUTS = 0x04000000
_CLONE_NEWIPC = 0x08000000
_CLONE_NEWPID = 0x20000000
_CLONE_NEWNET = 0x40000000
MS_NOSUID, MS_NODEV, MS_NOEXEC = 2, 4, 8
_MS_REC, _MS_PRIVATE = 0x4000, 0x40000


def enter_namespaces() -> None:
    """Returns in the child, PID 1 of the new namespaces, with a fresh ``/proc``; the parent
    never returns."""
    libc = ctypes.CDLL(None, use_errno=True)
    flags = _CLONE_NEWPID | _CLONE_NEWIPC | _CLONE_NEWNS | _CLONE_NEWUTS | _CLONE_NEWNET
    check(libc.unshare(flags), "unshare")
    child = os.fork()
    if child:
        _exit_as(child)
    pr_set_pdeathsig = 1
    check(libc.prctl(pr_set_pdeathsig, signal.SIGKILL), "prctl")
    mount(libc, None, "/", None, _MS_REC | _MS_PRIVATE, None)
    mount(libc, "proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, None)


def _exit_as(child: int) -> None:
    """Wait for the child, then end the way it ended (its exit code, or its signal)."""
    while True:
        try:
            _, status = os.waitpid(child, 0)
            break
        except InterruptedError:
            continue
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        with contextlib.suppress(OSError, ValueError):  # SIGKILL has no handler to reset
            signal.signal(number, signal.SIG_DFL)
        os.kill(os.getpid(), number)
        os.kill(os.getpid(), signal.SIGKILL)  # a signal whose default is not to end
    os._exit(os.waitstatus_to_exitcode(status) & 0xFF)


def mount(
    libc: ctypes.CDLL, source: str | None, target: str, kind: str | None, flags: int,
    options: str | None,
) -> None:  # fmt: skip
    def encoded(text: str | None) -> Any:
        return None if text is None else text.encode()

    result = libc.mount(encoded(source), encoded(target), encoded(kind), flags, encoded(options))
    check(result, f"mount {target}")


def check(result: int, what: str) -> None:
    if result != 0:
        number = ctypes.get_errno()
        raise OSError(number, f"{what}: {os.strerror(number)}")
