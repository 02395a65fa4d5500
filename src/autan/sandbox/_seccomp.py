"""A seccomp filter (libseccomp, through pyseccomp) for both sandboxes: no sockets, no debugging
or tuning other processes, no namespaces, no leaving the process group, no IPC state that
outlives the run, no memfds, no inotify, no kernel admin.

Everything else is allowed: the filter closes what Landlock or bubblewrap's namespaces do not
cover and shrinks the kernel the code can reach; it is not the whole sandbox. Denied calls fail
with ``EPERM``; calls of another architecture kill the process. The Landlock launcher loads it
with ``load_filter``; under bubblewrap the runner loads ``bpf_program()`` itself.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import tempfile
from typing import Any

DENIED = (
    # network: Landlock covers TCP only; no socket at all (pipes and socketpair stay)
    "socket",
    # other processes: their memory, their file descriptors
    "ptrace", "process_vm_readv", "process_vm_writev", "pidfd_getfd", "kcmp",
    # leaving the process group the host kills on timeout
    "setsid", "setpgid",
    # namespaces and mounts (clone's namespace flags are denied below)
    "unshare", "setns", "mount", "umount2", "pivot_root", "chroot", "move_mount",
    "open_tree", "fsopen", "fsmount", "fspick", "mount_setattr",
    # calls that act beyond the sandbox or slip past this filter
    "io_uring_setup", "io_uring_enter", "io_uring_register", "bpf", "perf_event_open",
    "userfaultfd", "keyctl", "add_key", "request_key", "open_by_handle_at",
    "name_to_handle_at", "fanotify_init", "kexec_load", "kexec_file_load", "init_module",
    "finit_module", "delete_module", "reboot", "swapon", "swapoff", "acct", "quotactl",
    "syslog", "settimeofday", "clock_settime", "clock_adjtime", "adjtimex", "iopl", "ioperm",
    "vhangup",
    # state that outlives the run where there is no IPC namespace (SysV IPC, message queues)
    "shmget", "semget", "msgget", "mq_open",
    # memory held in a descriptor, out of RLIMIT_AS's reach (passed in SCM_RIGHTS, say)
    "memfd_create", "memfd_secret",
    # watching host directories the code can see but not open (inotify on /tmp)
    "inotify_init", "inotify_init1",
)  # fmt: skip
#: Calls that may act on the calling process only: (name, argument, the value meaning "me").
#: Any other target (another process of the same user, a process group, a user) is denied.
SELF_ONLY = (
    ("prlimit64", 0, 0), ("sched_setaffinity", 0, 0), ("sched_setscheduler", 0, 0),
    ("sched_setparam", 0, 0), ("sched_setattr", 0, 0), ("migrate_pages", 0, 0),
    ("move_pages", 0, 0), ("setpriority", 0, 0), ("setpriority", 1, 0),
    ("ioprio_set", 0, 1), ("ioprio_set", 1, 0),
)  # fmt: skip
#: Denied too where the code runs as the host's own user and sees the host's files (the
#: Landlock fallback when autan is not root): Landlock does not cover a file's mode, owner,
#: times or extended attributes, and this user owns the host's files. ``fchmod`` and
#: ``fchown`` stay: they act on a descriptor, which Landlock let the code open.
SAME_USER_DENIED = (
    "chmod", "fchmodat", "fchmodat2", "chown", "lchown", "fchownat", "utime", "utimes",
    "utimensat", "futimesat", "setxattr", "lsetxattr", "removexattr", "lremovexattr",
)  # fmt: skip
_CLONE_NAMESPACES = (0x20000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000,
                     0x40000000)  # fmt: skip


class SeccompError(OSError):
    """libseccomp is missing or refused the filter."""


def load_filter(same_user: bool = False) -> None:
    """Apply the filter to this process and everything it starts; it cannot be removed.
    ``same_user``: the code runs as the host's own user (see ``SAME_USER_DENIED``)."""
    try:
        _build(SAME_USER_DENIED if same_user else ()).load()
    except (OSError, AttributeError, ImportError, ValueError) as error:
        raise SeccompError(0, f"seccomp: {error}") from error


def preload() -> None:
    """Import libseccomp's binding now (it loads the library as it is imported): for a
    launcher whose root is about to hold only the interpreter's paths."""
    with contextlib.suppress(ImportError):
        import pyseccomp  # noqa: F401


@functools.cache
def bpf_program() -> bytes | None:
    """The filter as a classic BPF program (8-byte instructions) for another process to load
    with ``prctl(PR_SET_SECCOMP)``; ``None`` where libseccomp is missing."""
    try:
        rules = _build()
        with tempfile.TemporaryFile() as program:
            rules.export_bpf(program)
            program.seek(0)
            return program.read()
    except (OSError, AttributeError, ImportError, ValueError):
        return None


def _build(also_denied: tuple[str, ...] = ()) -> Any:
    import pyseccomp as seccomp

    deny = seccomp.ERRNO(errno.EPERM)
    rules = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
    for name in DENIED + also_denied:
        _deny(rules, deny, name)
    for name, argument, me in SELF_ONLY:
        rules.add_rule(deny, name, seccomp.Arg(argument, seccomp.NE, me))
    for flag in _CLONE_NAMESPACES:
        rules.add_rule(deny, "clone", seccomp.Arg(0, seccomp.MASKED_EQ, flag, flag))
    # clone3 passes its flags in memory, out of a filter's reach: callers fall back to clone
    rules.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")
    return rules


def _deny(rules: object, action: int, name: str) -> None:
    try:
        rules.add_rule(action, name)  # type: ignore[attr-defined]
    except OSError as error:  # a call this libseccomp does not know by name: left allowed
        if error.errno not in (errno.EINVAL, errno.EFAULT, errno.EDOM):
            raise
