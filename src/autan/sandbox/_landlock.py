"""Linux Landlock, through its three system calls: which paths a process may use, no TCP, and
no signals or abstract sockets beyond its own domain.

A process restricts itself (and every process it starts or execs) with ``restrict``; it cannot
be undone. Rights not granted under a path are denied there, root included. See
https://docs.kernel.org/userspace-api/landlock.html for the ABI versions used below.
"""

from __future__ import annotations

import ctypes
import os
from collections.abc import Iterable
from pathlib import Path

_CREATE_RULESET, _ADD_RULE, _RESTRICT_SELF = 444, 445, 446  # the same on every architecture
_CREATE_RULESET_VERSION = 1
_RULE_PATH_BENEATH = 1
_PR_SET_NO_NEW_PRIVS = 38

EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
_FS_BY_ABI = {1: (1 << 13) - 1, 2: (1 << 14) - 1, 3: (1 << 15) - 1, 5: (1 << 16) - 1}
_FILE_RIGHTS = EXECUTE | WRITE_FILE | READ_FILE | (1 << 14) | (1 << 15)  # truncate, ioctl_dev
_NET_TCP = 0b11  # bind and connect
_SCOPE_ALL = 0b11  # abstract unix sockets and signals
READ = EXECUTE | READ_FILE | READ_DIR

#: Landlock needed for a sandbox: TCP rules (ABI 4) and signal scoping (ABI 6).
MINIMUM_ABI = 6


class LandlockError(OSError):
    """The kernel refused a Landlock call (or has no Landlock)."""


class _RulesetAttr(ctypes.Structure):
    _fields_ = [
        ("handled_access_fs", ctypes.c_uint64),
        ("handled_access_net", ctypes.c_uint64),
        ("scoped", ctypes.c_uint64),
    ]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def _libc() -> ctypes.CDLL:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    return libc


def _check(result: int, what: str) -> int:
    if result < 0:
        number = ctypes.get_errno()
        raise LandlockError(number, f"{what}: {os.strerror(number)}")
    return result


def abi_version() -> int:
    """The kernel's Landlock ABI version; 0 when it has none or it is disabled."""
    result = _libc().syscall(_CREATE_RULESET, None, ctypes.c_size_t(0), _CREATE_RULESET_VERSION)
    return max(int(result), 0)


def _fs_rights(abi: int) -> int:
    return _FS_BY_ABI[max(v for v in _FS_BY_ABI if v <= abi)]


def restrict(read: Iterable[str], write: Iterable[str]) -> None:
    """Confine this process for good: ``read`` paths may be read and executed, ``write`` paths
    used in every way, nothing else; no TCP; signals and abstract sockets stay inside.

    Paths that do not exist are skipped. Raises ``LandlockError`` on a kernel older than
    ``MINIMUM_ABI`` or any refused call, before anything is restricted.
    """
    abi = abi_version()
    if abi < MINIMUM_ABI:
        raise LandlockError(0, f"Landlock ABI {abi} is below the {MINIMUM_ABI} needed")
    libc, everything = _libc(), _fs_rights(abi)
    attr = _RulesetAttr(everything, _NET_TCP, _SCOPE_ALL)
    ruleset = _check(
        libc.syscall(_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(ctypes.sizeof(attr)), 0),
        "landlock_create_ruleset",
    )
    try:
        for path in read:
            _allow(libc, ruleset, path, READ)
        for path in write:
            _allow(libc, ruleset, path, everything)
        _check(libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(PR_SET_NO_NEW_PRIVS)")
        _check(libc.syscall(_RESTRICT_SELF, ruleset, 0), "landlock_restrict_self")
    finally:
        os.close(ruleset)


def _allow(libc: ctypes.CDLL, ruleset: int, path: str, rights: int) -> None:
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except FileNotFoundError:
        return
    try:
        if not Path(path).is_dir():
            rights &= _FILE_RIGHTS
        rule = _PathBeneathAttr(rights, fd)
        _check(
            libc.syscall(_ADD_RULE, ruleset, _RULE_PATH_BENEATH, ctypes.byref(rule), 0),
            f"landlock_add_rule({path})",
        )
    finally:
        os.close(fd)
