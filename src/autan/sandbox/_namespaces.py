"""The namespaces the Landlock launcher makes when it runs as root (no user namespace needed).

``enter_namespaces`` unshares PID, IPC, mount, UTS and network namespaces and forks. The parent
(still in the host's PID namespace) waits for the child and exits as it did. The child is PID 1
of the new namespace: the kernel kills every process of it when the child ends, and SysV IPC
objects and POSIX message queues die with the IPC namespace. In the private mount namespace
the child mounts a fresh ``/proc`` (the namespace's processes only) and, for a fresh workspace,
a tmpfs sized in bytes and in inodes over it, so a full workspace is refused by the kernel.
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
_MS_NOSUID, _MS_NODEV, _MS_NOEXEC, _MS_REC, _MS_PRIVATE = 2, 4, 8, 0x4000, 0x40000


def enter_namespaces(tmpfs: dict[str, int] | None, workspace: str) -> None:
    """Returns in the child, PID 1 of the new namespaces; the parent never returns."""
    libc = ctypes.CDLL(None, use_errno=True)
    flags = _CLONE_NEWPID | _CLONE_NEWIPC | _CLONE_NEWNS | _CLONE_NEWUTS | _CLONE_NEWNET
    _check(libc.unshare(flags), "unshare")
    child = os.fork()
    if child:
        _exit_as(child)
    pr_set_pdeathsig = 1
    _check(libc.prctl(pr_set_pdeathsig, signal.SIGKILL), "prctl")
    _mount(libc, None, "/", None, _MS_REC | _MS_PRIVATE, None)
    _mount(libc, "proc", "/proc", "proc", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC, None)
    if tmpfs is not None:
        options = (
            f"size={tmpfs['size']},nr_inodes={tmpfs['inodes']},mode=0700,"
            f"uid={tmpfs['uid']},gid={tmpfs['uid']}"
        )
        _mount(libc, "tmpfs", workspace, "tmpfs", _MS_NOSUID | _MS_NODEV, options)


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


def _mount(
    libc: ctypes.CDLL, source: str | None, target: str, kind: str | None, flags: int,
    options: str | None,
) -> None:  # fmt: skip
    def encoded(text: str | None) -> Any:
        return None if text is None else text.encode()

    result = libc.mount(encoded(source), encoded(target), encoded(kind), flags, encoded(options))
    _check(result, f"mount {target}")


def _check(result: int, what: str) -> None:
    if result != 0:
        number = ctypes.get_errno()
        raise OSError(number, f"{what}: {os.strerror(number)}")
